//! Using an installed nng found with pkg-config (`--no-default-features`, or
//! `NNG_SYS_NO_VENDOR=1`).

use std::path::PathBuf;

const MIN_VERSION: &str = "2.0.0";

/// Finds a system nng of at least version 2.0 and returns its include folder.
/// Exits the build with one sentence when there is none or it is older.
pub fn probe() -> PathBuf {
    match pkg_config::Config::new()
        .atleast_version(MIN_VERSION)
        .probe("nng")
    {
        Ok(lib) => lib
            .include_paths
            .into_iter()
            .find(|p| p.join("nng/nng.h").is_file())
            .unwrap_or_else(|| PathBuf::from("/usr/include")),
        Err(e) => {
            // Say which nng was found, if any: "too old" and "missing" have
            // different fixes.
            let found = pkg_config::Config::new()
                .cargo_metadata(false)
                .env_metadata(false)
                .probe("nng");
            let what = match found {
                Ok(old) => format!(
                    "the system nng found by pkg-config is version {}, older than the {MIN_VERSION} \
                     nng-sys binds",
                    old.version
                ),
                Err(_) => format!("no system nng was found by pkg-config ({e})"),
            };
            eprintln!(
                "error: {what}; install nng >= {MIN_VERSION} (with its nng.pc), or enable the \
                 `vendored` feature (on by default) to build the bundled nng 2.0.0 instead."
            );
            println!("cargo:warning={what}");
            std::process::exit(1);
        }
    }
}
