//! Generating the raw bindings with bindgen.

use std::path::Path;

/// The variadic logging functions: Rust callers format their own text and call
/// the non-variadic `nng_log_*` wrappers with "%s".
const VARIADIC: &[&str] = &[
    "nng_log_err",
    "nng_log_warn",
    "nng_log_notice",
    "nng_log_info",
    "nng_log_debug",
    "nng_log_auth",
];

pub fn generate(include_dir: &Path, out_dir: &Path) {
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
        .write_to_file(out_dir.join("bindings.rs"))
        .expect("writing bindings.rs to OUT_DIR");
}
