//! Build script of `nng-sys`: find the C source, build nng and its TLS library
//! with CMake, put the bindings in place, tell cargo what to link and tell
//! dependent build scripts what was built.
//!
//! Each step lives in its own file: [`source`] finds the C trees, [`tls`]
//! chooses the TLS engine ([`mbedtls`] builds mbedTLS 3.6, [`openssl`] builds
//! OpenSSL 3.5), [`patch`] fixes nng bugs in a copy of the source,
//! [`cmake_build`] configures and builds nng (and the C tools), [`system`]
//! finds an installed nng instead, [`bind`] puts the shipped bindings in place
//! (or runs bindgen with the `bindgen` feature), [`layout`] prepares the C side
//! of the bindings' layout test, [`docs_only`] is the
//! documentation build (docs.rs) that compiles no C.
//!
//! What dependent build scripts read (`links = "nng"`): `DEP_NNG_VERSION`
//! (nng's version), `DEP_NNG_VENDORED` (`1` built here, `0` a system nng),
//! `DEP_NNG_TLS_ENGINE` (`mbed`, `openssl`, `none`, or `unknown` for a system
//! nng whose engine pkg-config does not name), `DEP_NNG_TLS_ENGINE_VERSION`,
//! `DEP_NNG_INCLUDE`, with `tools` `DEP_NNG_TOOLS_DIR`, and with `tls-openssl`
//! `DEP_NNG_OPENSSL_ROOT` (the OpenSSL install prefix).

mod bind;
mod cmake_build;
mod docs_only;
mod layout;
mod mbedtls;
mod openssl;
mod patch;
mod source;
mod system;
mod tls;

use std::env;
use std::path::PathBuf;

fn main() {
    for var in ["NNG_SYS_NO_VENDOR", "NUM_JOBS"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo::rustc-check-cfg=cfg(nng_sys_vendored)");
    println!("cargo::rustc-check-cfg=cfg(nng_sys_mbedtls_2)");
    patch::declare_cfgs();
    if docs_only::requested() {
        docs_only::prepare(&out_dir);
        return;
    }
    let vendored = env::var_os("CARGO_FEATURE_VENDORED").is_some()
        && env::var_os("NNG_SYS_NO_VENDOR").is_none_or(|v| v == "0");

    let include_dir = if vendored {
        println!("cargo:rustc-cfg=nng_sys_vendored");
        let engine = tls::Engine::build(&out_dir);
        if matches!(
            engine,
            tls::Engine::Mbed {
                link_here: false,
                ..
            }
        ) {
            println!("cargo:rustc-cfg=nng_sys_mbedtls_2");
        }
        let src = patch::apply(&source::find_or_exit(source::Tree::NNG), &out_dir);
        let built = cmake_build::build(&src, &out_dir, &engine);
        println!("cargo:version=2.0.0");
        println!("cargo:vendored=1");
        println!("cargo:tls_engine={}", engine.name());
        println!("cargo:tls_engine_version={}", engine.version());
        if let tls::Engine::OpenSsl { root, .. } = &engine {
            // For the safe crate's interop test that builds an OpenSSL client
            // from the same tree.
            println!("cargo:openssl_root={}", root.display());
        }
        built.include_dir
    } else {
        let found = system::probe();
        println!("cargo:version={}", found.version);
        println!("cargo:vendored=0");
        println!("cargo:tls_engine={}", found.tls_engine);
        println!("cargo:tls_engine_version=");
        found.include_dir
    };
    println!("cargo:include={}", include_dir.display());
    bind::prepare(&include_dir, &out_dir);
    layout::prepare(&include_dir, &out_dir);
}
