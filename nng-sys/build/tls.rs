//! Choosing and building the TLS engine nng is compiled against.
//!
//! One engine per build. The `tls` feature alone selects mbedTLS 3.6 LTS,
//! built from source by [`crate::mbedtls`]; `tls-openssl` (OpenSSL 3.5 LTS from
//! the crate `openssl-src`, see [`crate::openssl`]) and `tls-mbedtls-2`
//! (mbedTLS 2.28 from the crate `mbedtls-sys-auto`) replace it, OpenSSL first
//! when both are on. Without `tls`, nng is built without TLS.

use std::env;
use std::path::{Path, PathBuf};

/// The engine of a vendored build, with what nng's CMake needs to find it.
pub enum Engine {
    /// No TLS (`NNG_ENABLE_TLS=OFF`).
    Off,
    /// mbedTLS 3.6 built here, or 2.28 from `mbedtls-sys-auto`.
    Mbed {
        /// The install prefix (include/, lib/).
        root: PathBuf,
        /// The flag that makes nng see mbedTLS's exact configuration.
        config_define: String,
        /// A folder of headers that configuration includes (threading_alt.h
        /// of mbedTLS 3.6 built here), also on nng's include path.
        include_dir: Option<PathBuf>,
        /// Static libraries to link after nng, in link order.
        libs: Vec<String>,
        /// `MAJOR.MINOR.PATCH`.
        version: String,
        /// Whether the libraries are linked here (mbedTLS 3.6) or by the
        /// `mbedtls-sys-auto` crate (2.28).
        link_here: bool,
    },
    /// OpenSSL 3.5 built by `openssl-src`.
    #[cfg_attr(not(feature = "tls-openssl"), allow(dead_code))]
    OpenSsl {
        /// The install prefix (include/, lib/).
        root: PathBuf,
        /// `MAJOR.MINOR.PATCH`.
        version: String,
    },
}

fn feature(name: &str) -> bool {
    env::var_os(format!(
        "CARGO_FEATURE_{}",
        name.to_uppercase().replace('-', "_")
    ))
    .is_some()
}

impl Engine {
    /// Builds (or locates) the engine the features select.
    pub fn build(out_dir: &Path) -> Engine {
        if !feature("tls") {
            return Engine::Off;
        }
        if feature("tls-openssl") {
            if feature("tls-mbedtls-2") {
                println!(
                    "cargo:warning=both tls-openssl and tls-mbedtls-2 are on: OpenSSL is used"
                );
            }
            return crate::openssl::build(out_dir);
        }
        if feature("tls-mbedtls-2") {
            return mbedtls_2_from_env();
        }
        crate::mbedtls::build(out_dir)
    }

    /// nng's `NNG_TLS_ENGINE` value, and the name exported as `DEP_NNG_TLS_ENGINE`.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Off => "none",
            Engine::Mbed { .. } => "mbed",
            Engine::OpenSsl { .. } => "openssl",
        }
    }

    /// The library's version, empty without TLS.
    pub fn version(&self) -> &str {
        match self {
            Engine::Off => "",
            Engine::Mbed { version, .. } | Engine::OpenSsl { version, .. } => version,
        }
    }

    /// Sets nng's CMake options for this engine.
    pub fn configure_nng(&self, cfg: &mut cmake::Config) {
        match self {
            Engine::Off => {
                cfg.define("NNG_ENABLE_TLS", "OFF");
            }
            Engine::Mbed {
                root,
                config_define,
                include_dir,
                ..
            } => {
                cfg.define("NNG_ENABLE_TLS", "ON")
                    .define("NNG_TLS_ENGINE", "mbed")
                    .define("CMAKE_PREFIX_PATH", root)
                    .define("MBEDTLS_ROOT", root)
                    .cflag(format!("-I{}", root.join("include").display()))
                    .cflag(config_define);
                if let Some(dir) = include_dir {
                    cfg.cflag(format!("-I{}", dir.display()));
                }
            }
            Engine::OpenSsl { root, .. } => {
                cfg.define("NNG_ENABLE_TLS", "ON")
                    .define("NNG_TLS_ENGINE", "openssl")
                    .define("OPENSSL_ROOT_DIR", root)
                    .define("OPENSSL_USE_STATIC_LIBS", "ON")
                    .cflag(format!("-I{}", root.join("include").display()));
            }
        }
    }

    /// Tells cargo what to link after nng (the order matters for static archives).
    pub fn link(&self) {
        match self {
            Engine::Off => {}
            Engine::Mbed {
                root,
                libs,
                link_here,
                ..
            } => {
                if *link_here {
                    println!(
                        "cargo:rustc-link-search=native={}",
                        root.join("lib").display()
                    );
                    for lib in libs {
                        println!("cargo:rustc-link-lib=static={lib}");
                    }
                    if crate::cmake_build::target_os() == "windows" {
                        // mbedTLS's library/CMakeLists.txt links these on
                        // WIN32: bcrypt for its entropy source
                        // (BCryptGenRandom), ws2_32 for net_sockets.c.
                        for lib in ["bcrypt", "ws2_32"] {
                            println!("cargo:rustc-link-lib={lib}");
                        }
                    }
                }
            }
            Engine::OpenSsl { root, .. } => {
                println!(
                    "cargo:rustc-link-search=native={}",
                    root.join("lib").display()
                );
                println!("cargo:rustc-link-lib=static=ssl");
                println!("cargo:rustc-link-lib=static=crypto");
            }
        }
    }
}

/// mbedTLS 2.28 as built by `mbedtls-sys-auto`, read from the metadata it
/// exports through `links = "mbedtls"`; that crate links its own archives.
fn mbedtls_2_from_env() -> Engine {
    let var = |name: &str| {
        println!("cargo:rerun-if-env-changed={name}");
        PathBuf::from(env::var_os(name).unwrap_or_else(|| {
            panic!("{name} is not set: `tls-mbedtls-2` needs mbedtls-sys-auto's build metadata")
        }))
    };
    let root = var("DEP_MBEDTLS_ROOT");
    let include = var("DEP_MBEDTLS_INCLUDE");
    let config_h = var("DEP_MBEDTLS_CONFIG_H");
    // nng must see exactly the configuration mbedTLS was compiled with: the
    // installed stock config.h differs (threading off) and struct layouts
    // would then silently disagree.
    let version = header_version(&include.join("mbedtls/version.h"))
        .or_else(|| header_version(&include.join("mbedtls/build_info.h")))
        .unwrap_or_else(|| "2.28".into());
    Engine::Mbed {
        root,
        config_define: format!(r#"-DMBEDTLS_CONFIG_FILE="\"{}\"""#, config_h.display()),
        include_dir: None,
        libs: Vec::new(),
        version,
        link_here: false,
    }
}

/// The `MBEDTLS_VERSION_STRING` of an mbedTLS header.
pub fn header_version(header: &Path) -> Option<String> {
    let text = std::fs::read_to_string(header).ok()?;
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("#define")?.trim_start();
        let v = rest.strip_prefix("MBEDTLS_VERSION_STRING")?.trim();
        Some(v.trim_matches('"').to_string())
    })
}
