//! Locating nng's C source.

use std::env;
use std::path::{Path, PathBuf};

/// The file whose presence says "this is nng's source tree".
const MARKER: &str = "include/nng/nng.h";

/// Finds nng's source, in this order: `$NNG_SYS_SOURCE_DIR`, `nng/` inside this
/// package (the published crate's copy; in the repository, the link to
/// `../vendor/nng` that `vendor/fetch-nng.sh` makes), `../vendor/nng`. Exits the
/// build with one sentence naming the fix.
pub fn find_or_exit() -> PathBuf {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let candidates: Vec<PathBuf> = match env::var_os("NNG_SYS_SOURCE_DIR") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![manifest.join("nng"), manifest.join("../vendor/nng")],
    };
    for dir in &candidates {
        if dir.join(MARKER).is_file() {
            emit_rerun(dir);
            return dir.canonicalize().unwrap_or_else(|_| dir.clone());
        }
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    eprintln!(
        "error: nng's C source is missing (looked in {}); run `vendor/fetch-nng.sh` from the \
         repository root (or set NNG_SYS_SOURCE_DIR to an nng 2.0.0 source tree).",
        tried.join(", ")
    );
    println!(
        "cargo:warning=nng's C source is missing: run `vendor/fetch-nng.sh` from the repository root"
    );
    std::process::exit(1);
}

/// Rebuild C only when the C inputs change: the CMake files, sources and headers.
fn emit_rerun(dir: &Path) {
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("CMakeLists.txt").display()
    );
    for sub in ["cmake", "include", "src"] {
        println!("cargo:rerun-if-changed={}", dir.join(sub).display());
    }
}
