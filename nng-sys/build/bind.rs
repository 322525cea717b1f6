//! The raw bindings: the copy shipped in `generated/` (nng 2.0.0's `nng.h` and
//! `http.h`), or, with the `bindgen` feature, bindgen's output from the
//! headers being built against. Only the `bindgen` feature needs libclang.
//!
//! Two copies are shipped, chosen by the target's OS: `bindings-windows.rs`
//! for Windows, `bindings.rs` for every other target. They differ where the
//! C library does: `struct tm` (`nng_tls_cert_not_before`/`_after`) has
//! glibc's and the BSDs' `tm_gmtoff` and `tm_zone` after the ISO C fields,
//! Windows' C runtimes have none. Everything else is the same text: bindgen
//! writes C's `int`, `long` and `char` as `core::ffi` types, which follow the
//! target. `tests/layout.rs` checks the copy in use against the target's C
//! compiler.
//!
//! With `bindgen`, `NNG_SYS_CHECK_BINDINGS=1` fails the build when bindgen's
//! output differs from the shipped copy for the target (CI runs this), and
//! `NNG_SYS_BLESS_BINDINGS=1` writes it there instead.

use std::env;
use std::path::{Path, PathBuf};

/// The shipped copy for the target being built.
pub fn shipped() -> PathBuf {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    // Windows' `struct tm` differs (see above); the target's OS, not the
    // build script's.
    let file = if crate::cmake_build::target_os() == "windows" {
        "bindings-windows.rs"
    } else {
        "bindings.rs"
    };
    manifest.join("generated").join(file)
}

/// Puts `bindings.rs` into `out_dir`.
pub fn prepare(include_dir: &Path, out_dir: &Path) {
    let out = out_dir.join("bindings.rs");
    #[cfg(feature = "bindgen")]
    {
        generate(include_dir, &out);
        compare_with_shipped(&out);
    }
    #[cfg(not(feature = "bindgen"))]
    {
        let _ = include_dir;
        copy_shipped(&out);
    }
}

/// Copies the shipped bindings for the target to `out`.
pub fn copy_shipped(out: &Path) {
    let shipped = shipped();
    println!("cargo:rerun-if-changed={}", shipped.display());
    std::fs::copy(&shipped, out).unwrap_or_else(|e| {
        panic!(
            "copying {} (the shipped bindings; regenerate them with `--features bindgen` and \
             NNG_SYS_BLESS_BINDINGS=1, with `--target` for another target): {e}",
            shipped.display()
        )
    });
}

#[cfg(feature = "bindgen")]
fn compare_with_shipped(out: &Path) {
    for var in ["NNG_SYS_CHECK_BINDINGS", "NNG_SYS_BLESS_BINDINGS"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let on = |var: &str| env::var_os(var).is_some_and(|v| v != "0");
    let shipped = shipped();
    let fresh = std::fs::read_to_string(out).expect("reading bindgen's output");
    if on("NNG_SYS_BLESS_BINDINGS") {
        if let Some(dir) = shipped.parent() {
            std::fs::create_dir_all(dir).expect("creating generated/");
        }
        std::fs::write(&shipped, &fresh)
            .unwrap_or_else(|e| panic!("writing {}: {e}", shipped.display()));
        return;
    }
    if on("NNG_SYS_CHECK_BINDINGS") {
        let old = std::fs::read_to_string(&shipped).unwrap_or_default();
        if old != fresh {
            panic!(
                "bindgen's output ({}) differs from the shipped {}: regenerate with \
                 `NNG_SYS_BLESS_BINDINGS=1 cargo build -p nng2-sys --features bindgen` (with \
                 this build's `--target`) and review the diff",
                out.display(),
                shipped.display()
            );
        }
    }
}

/// The variadic logging functions: Rust callers format their own text and call
/// the non-variadic `nng_log_*` wrappers with "%s".
#[cfg(feature = "bindgen")]
const VARIADIC: &[&str] = &[
    "nng_log_err",
    "nng_log_warn",
    "nng_log_notice",
    "nng_log_info",
    "nng_log_debug",
    "nng_log_auth",
];

#[cfg(feature = "bindgen")]
fn generate(include_dir: &Path, out: &Path) {
    let mut builder = bindgen::Builder::default()
        .header_contents(
            "nng_sys_wrapper.h",
            "#include <nng/nng.h>\n#include <nng/http.h>\n",
        )
        .clang_arg(format!("-I{}", include_dir.display()))
        .allowlist_function("nng_.*")
        .allowlist_type("nng_.*")
        .allowlist_var("NNG_.*")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .layout_tests(false)
        .derive_default(true)
        .derive_debug(true)
        .derive_copy(true)
        .derive_partialeq(true)
        .derive_eq(true)
        .derive_hash(true)
        .no_partialeq("nng_init_params")
        .no_hash("nng_init_params")
        .generate_comments(true)
        .size_t_is_usize(true)
        .use_core()
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for f in VARIADIC {
        builder = builder.blocklist_function(f);
    }
    let bindings = builder.generate().unwrap_or_else(|e| {
        panic!(
            "bindgen failed on nng's headers in {}: {e}",
            include_dir.display()
        )
    });
    bindings
        .write_to_file(out)
        .expect("writing bindings.rs to OUT_DIR");
}
