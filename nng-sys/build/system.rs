//! Using an installed nng found with pkg-config (`--no-default-features`, or
//! `NNG_SYS_NO_VENDOR=1`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const MIN_VERSION: &str = "2.0.0";

/// Include folders where an nng installed without a pkg-config file is
/// looked for, only to name it in the error (nng's own CMake install writes
/// no `nng.pc`, and neither does Debian's libnng-dev).
const USUAL_INCLUDE_DIRS: &[&str] = &["/usr/local/include", "/usr/include"];

/// What was found.
pub struct Found {
    pub include_dir: PathBuf,
    pub version: String,
    /// `mbed`, `openssl` or `none`, as the library itself says; `unknown`
    /// when it cannot be asked (cross-compiling, or no probe links).
    pub tls_engine: &'static str,
}

/// Asks the system nng which TLS engine it has: compiles and runs a program
/// printing `nng_tls_engine_name()` with pkg-config's flags. Only for native
/// builds (a cross-compiled probe cannot run here).
fn probe_tls_engine(lib: &pkg_config::Library) -> &'static str {
    if env::var("HOST").ok() != env::var("TARGET").ok() {
        return "unknown";
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let src = out_dir.join("tls_engine_probe.c");
    let exe = out_dir.join("tls_engine_probe");
    let program = "#include <stdio.h>\n#include <nng/nng.h>\n\
                   int main(void) { if (nng_init(NULL) != 0) return 1;\n\
                   printf(\"%s\\n\", nng_tls_engine_name()); return 0; }\n";
    if std::fs::write(&src, program).is_err() {
        return "unknown";
    }
    let cc = env::var_os("CC").unwrap_or_else(|| "cc".into());
    let mut cmd = Command::new(cc);
    cmd.arg(&src).arg("-o").arg(&exe);
    for p in &lib.include_paths {
        cmd.arg(format!("-I{}", p.display()));
    }
    for p in &lib.link_paths {
        cmd.arg(format!("-L{}", p.display()));
    }
    for l in &lib.libs {
        cmd.arg(format!("-l{l}"));
    }
    cmd.arg("-lpthread");
    let built = cmd.output().map(|o| o.status.success()).unwrap_or(false);
    if !built {
        println!("cargo:warning=could not link a probe against the system nng; its TLS engine is unknown");
        return "unknown";
    }
    let Ok(run) = Command::new(&exe).output() else {
        return "unknown";
    };
    match String::from_utf8_lossy(&run.stdout).trim() {
        "mbed" => "mbed",
        "OpenSSL" | "openssl" => "openssl",
        "none" => "none",
        _ => "unknown",
    }
}

/// Finds a system nng of at least version 2.0. Exits the build with one
/// sentence when there is none or it is older.
pub fn probe() -> Found {
    match pkg_config::Config::new()
        .atleast_version(MIN_VERSION)
        .probe("nng")
    {
        Ok(lib) => {
            let include_dir = lib
                .include_paths
                .iter()
                .find(|p| p.join("nng/nng.h").is_file())
                .cloned()
                .unwrap_or_else(|| PathBuf::from("/usr/include"));
            Found {
                tls_engine: probe_tls_engine(&lib),
                include_dir,
                version: lib.version,
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
