//! Build script of `nng-sys`: find the C source, build it with CMake, generate
//! the bindings, tell cargo what to link.
//!
//! Each step lives in its own file: [`source`] finds nng, [`cmake_build`]
//! configures and builds it (and the C tools), [`system`] finds an installed nng
//! instead, [`patch`] fixes nng bugs in a copy of the source, [`bind`] runs
//! bindgen, [`docs_only`] is the documentation build (docs.rs) that compiles
//! no C.

mod bind;
mod cmake_build;
mod docs_only;
mod patch;
mod source;
mod system;

use std::env;
use std::path::PathBuf;

fn main() {
    for var in ["NNG_SYS_SOURCE_DIR", "NNG_SYS_NO_VENDOR", "NUM_JOBS"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo::rustc-check-cfg=cfg(nng_sys_vendored)");
    if docs_only::requested() {
        docs_only::prepare(&out_dir);
        return;
    }
    let vendored = env::var_os("CARGO_FEATURE_VENDORED").is_some()
        && env::var_os("NNG_SYS_NO_VENDOR").is_none_or(|v| v == "0");

    let include_dir = if vendored {
        println!("cargo:rustc-cfg=nng_sys_vendored");
        let src = patch::apply(&source::find_or_exit(), &out_dir);
        let built = cmake_build::build(&src, &out_dir);
        built.include_dir
    } else {
        system::probe()
    };
    bind::generate(&include_dir, &out_dir);
}
