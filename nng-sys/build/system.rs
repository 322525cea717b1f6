//! Using an installed nng found with pkg-config (`--no-default-features`, or
//! `NNG_SYS_NO_VENDOR=1`).

use std::path::PathBuf;

const MIN_VERSION: &str = "2.0.0";

/// Finds a system nng of at least version 2.0 and returns its include folder.
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
            eprintln!(
                "error: no system nng >= {MIN_VERSION} was found by pkg-config ({e}); \
                 enable the `vendored` feature to build nng 2.0.0 from source instead."
            );
            std::process::exit(1);
        }
    }
}
