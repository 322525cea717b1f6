//! The documentation-only build: what docs.rs runs (it sets `DOCS_RS`), also
//! forced locally with `NNG_SYS_DOCS_ONLY=1`.
//!
//! rustdoc needs the Rust items, not the C library: no CMake, no compiler, no
//! link lines. The bindings are the ones the packaged crate carries in
//! `generated/bindings.rs` (written by `vendor/package.sh` from a real build),
//! so docs.rs needs neither libclang nor the network. Without that file (a
//! checkout of the repository) bindgen runs on the headers as usual.

use std::env;
use std::path::{Path, PathBuf};

/// True when this build only has to satisfy rustdoc.
pub fn requested() -> bool {
    for var in ["DOCS_RS", "NNG_SYS_DOCS_ONLY"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    env::var_os("DOCS_RS").is_some() || env::var_os("NNG_SYS_DOCS_ONLY").is_some_and(|v| v != "0")
}

/// Puts `bindings.rs` into `out_dir` and sets what `src/lib.rs` reads at
/// compile time; builds and links nothing.
pub fn prepare(out_dir: &Path) {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let shipped = manifest.join("generated/bindings.rs");
    println!("cargo:rerun-if-changed={}", shipped.display());
    if shipped.is_file() {
        std::fs::copy(&shipped, out_dir.join("bindings.rs"))
            .expect("copying generated/bindings.rs");
    } else {
        let src = crate::source::find_or_exit();
        crate::bind::generate(&src.join("include"), out_dir);
    }
    if env::var_os("CARGO_FEATURE_TOOLS").is_some() {
        // The C tools are not built for documentation.
        println!("cargo:rustc-env=NNG_SYS_TOOLS_DIR=");
    }
}
