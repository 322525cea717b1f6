//! The documentation-only build: what docs.rs runs (it sets `DOCS_RS`), also
//! forced locally with `NNG_SYS_DOCS_ONLY=1`.
//!
//! rustdoc needs the Rust items, not the C library: no CMake, no compiler, no
//! link lines. The bindings are the shipped `generated/bindings.rs`, so docs.rs
//! needs neither libclang nor the network.

use std::env;
use std::path::Path;

/// True when this build only has to satisfy rustdoc.
pub fn requested() -> bool {
    for var in ["DOCS_RS", "NNG_SYS_DOCS_ONLY"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    env::var_os("DOCS_RS").is_some() || env::var_os("NNG_SYS_DOCS_ONLY").is_some_and(|v| v != "0")
}

/// Puts `bindings.rs` into `out_dir` and sets what `src/lib.rs` reads at
/// compile time; builds and links nothing. The metadata names the engine the
/// features select, so the safe crate documents that engine's API.
pub fn prepare(out_dir: &Path) {
    crate::bind::copy_shipped(&out_dir.join("bindings.rs"));
    if env::var_os("CARGO_FEATURE_TOOLS").is_some() {
        // The C tools are not built for documentation.
        println!("cargo:rustc-env=NNG_SYS_TOOLS_DIR=");
    }
    let tls = env::var_os("CARGO_FEATURE_TLS").is_some();
    let engine = if !tls {
        "none"
    } else if env::var_os("CARGO_FEATURE_TLS_OPENSSL").is_some() {
        "openssl"
    } else {
        "mbed"
    };
    println!("cargo:version=2.0.0");
    println!("cargo:vendored=1");
    println!("cargo:tls_engine={engine}");
    println!("cargo:tls_engine_version=");
}
