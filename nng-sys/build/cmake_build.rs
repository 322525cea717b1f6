//! Configuring and building nng (and optionally its C tools) with CMake.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C tools built with the `tools` feature. In nng 2.0.0 the perf tools are
/// only defined when `NNG_TESTS=ON`, so that option is set, and only these
/// targets are built.
const TOOLS: &[&str] = &[
    "nngcat",
    "local_lat",
    "remote_lat",
    "local_thr",
    "remote_thr",
    "inproc_lat",
    "inproc_thr",
];

pub struct Built {
    pub include_dir: PathBuf,
}

fn on_off(b: bool) -> &'static str {
    if b {
        "ON"
    } else {
        "OFF"
    }
}

fn feature(name: &str) -> bool {
    env::var_os(format!("CARGO_FEATURE_{}", name.to_uppercase())).is_some()
}

/// mbedTLS as built by `mbedtls-sys-auto`, read from the metadata it exports
/// through `links = "mbedtls"`.
struct Mbedtls {
    root: PathBuf,
    include: PathBuf,
    config_h: PathBuf,
}

impl Mbedtls {
    fn from_env() -> Self {
        let var = |name: &str| {
            println!("cargo:rerun-if-env-changed={name}");
            PathBuf::from(env::var_os(name).unwrap_or_else(|| {
                panic!(
                    "{name} is not set: the `tls` feature needs mbedtls-sys-auto's build metadata"
                )
            }))
        };
        Mbedtls {
            root: var("DEP_MBEDTLS_ROOT"),
            include: var("DEP_MBEDTLS_INCLUDE"),
            config_h: var("DEP_MBEDTLS_CONFIG_H"),
        }
    }
}

pub fn build(src: &Path, out_dir: &Path) -> Built {
    let tls = feature("tls");
    let tools = feature("tools");

    let mut cfg = cmake::Config::new(src);
    cfg.define("BUILD_SHARED_LIBS", "OFF")
        .define("NNG_TESTS", on_off(tools))
        .define("NNG_TOOLS", "OFF")
        .define("NNG_ENABLE_NNGCAT", on_off(tools))
        .define("NNG_ENABLE_COVERAGE", "OFF")
        .define("NNG_ENABLE_TLS", on_off(tls))
        .define("CMAKE_POSITION_INDEPENDENT_CODE", "ON")
        .build_target("nng");
    // Sanitizer builds of the C side (see README, "Memory checking").
    println!("cargo:rerun-if-env-changed=NNG_SYS_SANITIZER");
    if let Some(s) = env::var_os("NNG_SYS_SANITIZER") {
        cfg.define("NNG_SANITIZER", s);
    }
    if tls {
        let mbed = Mbedtls::from_env();
        // nng must see exactly the configuration mbedTLS was compiled with: the
        // installed stock config.h differs (threading off) and struct layouts
        // would then silently disagree.
        cfg.define("NNG_TLS_ENGINE", "mbed")
            .define("CMAKE_PREFIX_PATH", &mbed.root)
            .define("MBEDTLS_ROOT", &mbed.root)
            .cflag(format!("-I{}", mbed.include.display()))
            .cflag(format!(
                r#"-DMBEDTLS_CONFIG_FILE="\"{}\"""#,
                mbed.config_h.display()
            ));
    }
    let dst = cfg.build();
    let build_dir = dst.join("build");

    println!("cargo:rustc-link-search=native={}", build_dir.display());
    println!("cargo:rustc-link-lib=static=nng");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        println!("cargo:rustc-link-lib=pthread");
    }
    println!("cargo:include={}", src.join("include").display());

    if tools {
        build_tools(&build_dir, out_dir);
    }
    Built {
        include_dir: src.join("include"),
    }
}

/// Builds the C tools in the already-configured tree and publishes their folder.
fn build_tools(build_dir: &Path, out_dir: &Path) {
    let jobs = env::var("NUM_JOBS").unwrap_or_else(|_| "2".into());
    let status = Command::new(env::var_os("CMAKE").unwrap_or_else(|| "cmake".into()))
        .arg("--build")
        .arg(build_dir)
        .arg("--parallel")
        .arg(&jobs)
        .arg("--target")
        .args(TOOLS)
        .status()
        .expect("running cmake --build for the C tools");
    assert!(status.success(), "building the C tools {TOOLS:?} failed");

    // Copy them to one stable folder: nngcat and the perf tools live in
    // different build subfolders.
    let tools_dir = out_dir.join("tools");
    std::fs::create_dir_all(&tools_dir).expect("creating OUT_DIR/tools");
    for tool in TOOLS {
        let from = find_file(build_dir, tool).unwrap_or_else(|| {
            panic!(
                "{tool} was built but not found under {}",
                build_dir.display()
            )
        });
        std::fs::copy(&from, tools_dir.join(tool)).expect("copying a C tool");
    }
    println!("cargo:tools_dir={}", tools_dir.display());
    println!("cargo:rustc-env=NNG_SYS_TOOLS_DIR={}", tools_dir.display());
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let ft = entry.file_type().ok()?;
        if ft.is_file() && entry.file_name() == name {
            return Some(path);
        }
        if ft.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        }
    }
    None
}
