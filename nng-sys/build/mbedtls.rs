//! Building mbedTLS 3.6 LTS from source with CMake, the default TLS engine.
//!
//! The source is the mbedTLS 3.6.5 tree that `vendor/fetch-mbedtls.sh` puts at
//! `nng-sys/mbedtls` (or `$NNG_SYS_MBEDTLS_SOURCE_DIR`). Its default
//! configuration is kept; `nng_sys_mbedtls_config.h` beside this file adds
//! threading through `MBEDTLS_USER_CONFIG_FILE`, and nng is compiled with the
//! same define, so both sides see one configuration. No programs, no tests.

use crate::source::{self, Tree};
use crate::tls::{header_version, Engine};
use std::env;
use std::path::{Path, PathBuf};

pub fn build(out_dir: &Path) -> Engine {
    let src = source::find_or_exit(Tree::MBEDTLS);
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let user_config = manifest.join("build/nng_sys_mbedtls_config.h");
    println!("cargo:rerun-if-changed={}", user_config.display());
    let user_config = user_config.canonicalize().unwrap_or(user_config);
    // threading_alt.h, read only where the configuration selects
    // MBEDTLS_THREADING_ALT (Windows); on the include path everywhere, so
    // there is one build line for all targets.
    let alt_include = manifest.join("build/mbedtls-alt");
    println!(
        "cargo:rerun-if-changed={}",
        alt_include.join("threading_alt.h").display()
    );
    let alt_include = alt_include.canonicalize().unwrap_or(alt_include);

    let mut cfg = cmake::Config::new(&src);
    cfg.out_dir(out_dir.join("mbedtls"))
        .define("ENABLE_PROGRAMS", "OFF")
        .define("ENABLE_TESTING", "OFF")
        .define("GEN_FILES", "OFF")
        .define("USE_SHARED_MBEDTLS_LIBRARY", "OFF")
        .define("USE_STATIC_MBEDTLS_LIBRARY", "ON")
        .define("MBEDTLS_FATAL_WARNINGS", "OFF")
        .define("CMAKE_POSITION_INDEPENDENT_CODE", "ON")
        .define("CMAKE_INSTALL_LIBDIR", "lib")
        .define("MBEDTLS_USER_CONFIG_FILE", &user_config)
        .cflag(format!("-I{}", alt_include.display()));
    if let Some(s) = env::var_os("NNG_SYS_SANITIZER") {
        // The sanitizer build instruments mbedTLS too (see .ci/memcheck).
        let flag = format!("-fsanitize={}", s.to_string_lossy());
        cfg.cflag(&flag);
    }
    let root = cfg.build();

    // Link order: libmbedtls needs libmbedx509, which needs libmbedcrypto; the
    // 3rdparty archives (everest, p256m) serve libmbedcrypto.
    let mut libs: Vec<String> = ["mbedtls", "mbedx509", "mbedcrypto"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for extra in ["everest", "p256m"] {
        // libNAME.a with GCC and Clang (MinGW too), NAME.lib with MSVC.
        let files = [format!("lib{extra}.a"), format!("{extra}.lib")];
        if files.iter().any(|f| root.join("lib").join(f).is_file()) {
            libs.push(extra.to_string());
        }
    }
    let version = header_version(&root.join("include/mbedtls/build_info.h"))
        .expect("mbedTLS's build_info.h names its version");
    Engine::Mbed {
        config_define: format!(
            r#"-DMBEDTLS_USER_CONFIG_FILE="\"{}\"""#,
            user_config.display()
        ),
        include_dir: Some(alt_include),
        root,
        libs,
        version,
        link_here: true,
    }
}
