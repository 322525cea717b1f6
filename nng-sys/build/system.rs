//! Using an installed nng found with pkg-config (`--no-default-features`, or
//! `NNG_SYS_NO_VENDOR=1`).

use std::path::{Path, PathBuf};

const MIN_VERSION: &str = "2.0.0";

/// Include folders where an nng installed without a pkg-config file is
/// looked for, only to name it in the error (nng's own CMake install writes
/// no `nng.pc`, and neither does Debian's libnng-dev).
const USUAL_INCLUDE_DIRS: &[&str] = &["/usr/local/include", "/usr/include"];

/// What was found.
pub struct Found {
    pub include_dir: PathBuf,
    pub version: String,
    /// `mbed` or `openssl` when pkg-config's libraries name one, else `unknown`
    /// (nng's own CMake writes no `nng.pc`; a hand-written one may list none).
    pub tls_engine: &'static str,
}

/// Finds a system nng of at least version 2.0. Exits the build with one
/// sentence when there is none or it is older.
pub fn probe() -> Found {
    match pkg_config::Config::new()
        .atleast_version(MIN_VERSION)
        .probe("nng")
    {
        Ok(lib) => {
            let has = |name: &str| lib.libs.iter().any(|l| l == name);
            let tls_engine = if has("mbedtls") {
                "mbed"
            } else if has("ssl") {
                "openssl"
            } else {
                "unknown"
            };
            Found {
                include_dir: lib
                    .include_paths
                    .into_iter()
                    .find(|p| p.join("nng/nng.h").is_file())
                    .unwrap_or_else(|| PathBuf::from("/usr/include")),
                version: lib.version,
                tls_engine,
            }
        }
        Err(e) => {
            let what = diagnose(&e);
            eprintln!(
                "error: {what}; nng-sys needs nng >= {MIN_VERSION} found by pkg-config (an \
                 nng.pc, e.g. through PKG_CONFIG_PATH), or the `vendored` feature (on by \
                 default) to build the bundled nng 2.0.0 instead."
            );
            println!("cargo:warning={what}");
            std::process::exit(1);
        }
    }
}

/// Says which nng was found, if any: "too old" and "missing" have different
/// fixes.
fn diagnose(e: &pkg_config::Error) -> String {
    let found = pkg_config::Config::new()
        .cargo_metadata(false)
        .env_metadata(false)
        .probe("nng");
    if let Ok(old) = found {
        return format!(
            "the system nng found by pkg-config is version {}, older than {MIN_VERSION}",
            old.version
        );
    }
    for dir in USUAL_INCLUDE_DIRS {
        let header = Path::new(dir).join("nng/nng.h");
        if let Some(version) = header_version(&header) {
            return format!(
                "pkg-config finds no nng ({}), and the nng installed at {} is version \
                 {version} without a pkg-config file",
                first_line(e),
                header.display()
            );
        }
    }
    format!("pkg-config finds no nng ({})", first_line(e))
}

/// `MAJOR.MINOR.PATCH` from the `NNG_*_VERSION` defines of an `nng.h`.
fn header_version(header: &Path) -> Option<String> {
    let text = std::fs::read_to_string(header).ok()?;
    let part = |name: &str| {
        text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("#define")?.trim_start();
            rest.strip_prefix(name)?.trim().parse::<u32>().ok()
        })
    };
    Some(format!(
        "{}.{}.{}",
        part("NNG_MAJOR_VERSION")?,
        part("NNG_MINOR_VERSION")?,
        part("NNG_PATCH_VERSION")?
    ))
}

fn first_line(e: &pkg_config::Error) -> String {
    e.to_string()
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}
