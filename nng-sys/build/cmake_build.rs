//! Configuring and building nng (and optionally its C tools) with CMake.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tls::Engine;

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

/// The OS being built for (`CARGO_CFG_TARGET_OS`: the target's, also when
/// cross-compiling, unlike `cfg!` in a build script).
pub fn target_os() -> String {
    env::var("CARGO_CFG_TARGET_OS").unwrap_or_default()
}

fn feature(name: &str) -> bool {
    env::var_os(format!("CARGO_FEATURE_{}", name.to_uppercase())).is_some()
}

pub fn build(src: &Path, out_dir: &Path, tls: &Engine) -> Built {
    let tools = feature("tools");

    // Nothing here depends on the target: when cross-compiling (docs/PLATFORMS.md)
    // the cmake crate (>= 0.1.49) sets CMAKE_SYSTEM_NAME and CMAKE_SYSTEM_PROCESSOR
    // from CARGO_CFG_TARGET_OS/ARCH and the compilers from the cc crate
    // (CC_<target>, else e.g. aarch64-linux-gnu-gcc); nng's CMake picks its
    // platform (POSIX or Windows, the poller, the system libraries) from those.
    // mbedtls.rs configures mbedTLS the same way.
    let mut cfg = cmake::Config::new(src);
    cfg.define("BUILD_SHARED_LIBS", "OFF")
        .define("NNG_TESTS", on_off(tools))
        .define("NNG_TOOLS", "OFF")
        .define("NNG_ENABLE_NNGCAT", on_off(tools))
        .define("NNG_ENABLE_COVERAGE", "OFF")
        .define("CMAKE_POSITION_INDEPENDENT_CODE", "ON")
        .build_target("nng");
    // Sanitizer builds of the C side (see docs/TESTING.md, "Memory checking").
    println!("cargo:rerun-if-env-changed=NNG_SYS_SANITIZER");
    if let Some(s) = env::var_os("NNG_SYS_SANITIZER") {
        cfg.define("NNG_SANITIZER", s);
    }
    tls.configure_nng(&mut cfg);
    let dst = cfg.build();
    let build_dir = dst.join("build");

    println!("cargo:rustc-link-search=native={}", build_dir.display());
    // Multi-configuration generators (Visual Studio, the default for MSVC
    // targets; Xcode) put the archive in a folder per configuration
    // (build/Debug/nng.lib); the others straight in build/.
    let per_config = build_dir.join(cfg.get_profile());
    if per_config.is_dir() {
        println!("cargo:rustc-link-search=native={}", per_config.display());
    }
    println!("cargo:rustc-link-lib=static=nng");
    tls.link();
    if target_os() == "windows" {
        // nng's Windows platform (src/platform/windows/CMakeLists.txt) links
        // Winsock (ws2_32), its extensions (mswsock: AcceptEx, ConnectEx) and
        // advapi32 (security descriptors of named pipes); a static libnng
        // leaves that to the final link.
        for lib in ["ws2_32", "mswsock", "advapi32"] {
            println!("cargo:rustc-link-lib={lib}");
        }
    } else {
        println!("cargo:rustc-link-lib=pthread");
    }

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
    // Windows executables end in .exe (the target's, not the build host's).
    let exe = if target_os() == "windows" { ".exe" } else { "" };
    for tool in TOOLS {
        let file = format!("{tool}{exe}");
        let from = find_file(build_dir, &file).unwrap_or_else(|| {
            panic!(
                "{file} was built but not found under {}",
                build_dir.display()
            )
        });
        std::fs::copy(&from, tools_dir.join(&file)).expect("copying a C tool");
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
