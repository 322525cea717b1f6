//! Locating the C source trees nng-sys builds: nng, and mbedTLS for the
//! default TLS engine.

use std::env;
use std::path::{Path, PathBuf};

/// One source tree: where it is looked for and how it is recognised.
pub struct Tree {
    /// Folder name inside this package (a link to `../vendor/<name>` in the
    /// repository) and under `vendor/`.
    pub name: &'static str,
    /// The variable that points at a tree elsewhere.
    pub env: &'static str,
    /// The file whose presence says "this is the tree".
    pub marker: &'static str,
    /// What it is, for the error message.
    pub what: &'static str,
}

impl Tree {
    pub const NNG: Tree = Tree {
        name: "nng",
        env: "NNG_SYS_SOURCE_DIR",
        marker: "include/nng/nng.h",
        what: "nng 2.0.0",
    };
    pub const MBEDTLS: Tree = Tree {
        name: "mbedtls",
        env: "NNG_SYS_MBEDTLS_SOURCE_DIR",
        marker: "include/mbedtls/build_info.h",
        what: "mbedTLS 3.6",
    };
}

/// Finds a tree, in this order: `$<env>`, `<name>/` inside this package (the
/// published crate's copy; in the repository, the link that
/// `vendor/fetch-<name>.sh` makes), `../vendor/<name>`. Exits the build with
/// one sentence naming the fix.
pub fn find_or_exit(tree: Tree) -> PathBuf {
    println!("cargo:rerun-if-env-changed={}", tree.env);
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let candidates: Vec<PathBuf> = match env::var_os(tree.env) {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            manifest.join(tree.name),
            manifest.join("../vendor").join(tree.name),
        ],
    };
    for dir in &candidates {
        if dir.join(tree.marker).is_file() {
            emit_rerun(dir);
            return dir.canonicalize().unwrap_or_else(|_| dir.clone());
        }
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    eprintln!(
        "error: {}'s C source is missing (looked in {}); run `vendor/fetch-{}.sh` from the \
         repository root (or set {} to a {} source tree).",
        tree.name,
        tried.join(", "),
        tree.name,
        tree.env,
        tree.what
    );
    println!(
        "cargo:warning={}'s C source is missing: run `vendor/fetch-{}.sh` from the repository root",
        tree.name, tree.name
    );
    std::process::exit(1);
}

/// Rebuild C only when the C inputs change: the CMake files, sources and headers.
fn emit_rerun(dir: &Path) {
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("CMakeLists.txt").display()
    );
    for sub in ["cmake", "include", "src", "library", "3rdparty"] {
        let p = dir.join(sub);
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
}
