//! Build script of the safe crate: reads what `nng-sys` built (its `links =
//! "nng"` metadata, `DEP_NNG_*`) and sets cfgs, so the TLS API and its docs match
//! the library actually linked, whichever features asked for what:
//!
//! - `nng_tls`: nng has a TLS engine (`DEP_NNG_TLS_ENGINE` is not `none`); a
//!   system nng whose engine pkg-config cannot name counts as having one, and
//!   then says at run time (`nng::tls::engine_name()`).
//! - `nng_tls_engine = "mbed" | "openssl" | "unknown"`: which engine.
//! - `nng_vendored`: nng was built from the bundled source (with its patches).
//!
//! It also passes the engine's name and version to the crate as the
//! compile-time variables `NNG_BUILD_TLS_ENGINE` and
//! `NNG_BUILD_TLS_ENGINE_VERSION`.

use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(nng_tls)");
    println!("cargo::rustc-check-cfg=cfg(nng_vendored)");
    println!(
        "cargo::rustc-check-cfg=cfg(nng_tls_engine, values(\"mbed\", \"openssl\", \"unknown\"))"
    );
    let dep = |key: &str| {
        let name = format!("DEP_NNG_{key}");
        println!("cargo:rerun-if-env-changed={name}");
        env::var(&name).unwrap_or_default()
    };
    let engine = dep("TLS_ENGINE");
    let engine = if engine.is_empty() {
        "none".to_string()
    } else {
        engine
    };
    if engine != "none" {
        println!("cargo:rustc-cfg=nng_tls");
        println!("cargo:rustc-cfg=nng_tls_engine=\"{engine}\"");
    }
    if dep("VENDORED") == "1" {
        println!("cargo:rustc-cfg=nng_vendored");
    }
    println!("cargo:rustc-env=NNG_BUILD_TLS_ENGINE={engine}");
    // The OpenSSL nng-sys built (`tls-openssl`), for the interop test that
    // compiles an OpenSSL client from the same tree; empty otherwise.
    println!(
        "cargo:rustc-env=NNG_BUILD_OPENSSL_ROOT={}",
        dep("OPENSSL_ROOT")
    );
    println!(
        "cargo:rustc-env=NNG_BUILD_TLS_ENGINE_VERSION={}",
        dep("TLS_ENGINE_VERSION")
    );
}
