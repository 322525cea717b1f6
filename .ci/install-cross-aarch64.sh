#!/usr/bin/env bash
# What .ci/cross-aarch64.sh needs on an x86_64 Debian host: Debian's aarch64
# cross C compiler and C library (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross),
# qemu-user (qemu-aarch64 runs the test binaries; .cargo/config.toml names it as
# the target's runner) and rustup's aarch64-unknown-linux-gnu standard library.
#
# Idempotent. The check is the real thing: a hello program in C and one in Rust
# are cross-compiled and run under qemu-aarch64, before and after installing.
set -euo pipefail

target=aarch64-unknown-linux-gnu
sysroot=/usr/aarch64-linux-gnu
probe="$(mktemp -d "${TMPDIR:-/tmp}/install-cross-aarch64.$$.XXXXXX")"
trap 'rm -rf "$probe"' EXIT

printf '#include <stdio.h>\n#include <pthread.h>\nint main(void){puts("hello from aarch64 C");return 0;}\n' > "$probe/hello.c"
printf 'fn main() { println!("hello from {} Rust", std::env::consts::ARCH); }\n' > "$probe/hello.rs"

c_works() {
    aarch64-linux-gnu-gcc "$probe/hello.c" -o "$probe/hello-c" -lpthread >/dev/null 2>&1 &&
        [ "$(qemu-aarch64 -L "$sysroot" "$probe/hello-c" 2>/dev/null)" = "hello from aarch64 C" ]
}
rust_works() {
    rustc --edition 2021 --target "$target" -C linker=aarch64-linux-gnu-gcc \
        "$probe/hello.rs" -o "$probe/hello-rs" >/dev/null 2>&1 &&
        [ "$(qemu-aarch64 -L "$sysroot" "$probe/hello-rs" 2>/dev/null)" = "hello from aarch64 Rust" ]
}

installed=()
if ! c_works; then
    command -v apt-get >/dev/null || {
        echo "install-cross-aarch64: please install an aarch64 Linux cross gcc, its libc and qemu-user" >&2
        exit 1
    }
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null
    installed+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
    c_works || {
        echo "install-cross-aarch64: installed, but a C hello does not cross-compile and run under qemu-aarch64" >&2
        exit 1
    }
fi
if ! rust_works; then
    command -v rustup >/dev/null || {
        echo "install-cross-aarch64: no rustup: install Rust's $target standard library" >&2
        exit 1
    }
    rustup target add "$target" >/dev/null 2>&1
    installed+=("rust-std-$target")
    rust_works || {
        echo "install-cross-aarch64: a Rust hello does not cross-compile for $target and run under qemu-aarch64" >&2
        exit 1
    }
fi
qemu-aarch64 -L "$sysroot" "$probe/hello-c"
qemu-aarch64 -L "$sysroot" "$probe/hello-rs"
if [ "${#installed[@]}" -gt 0 ]; then
    echo "install-cross-aarch64: installed ${installed[*]}"
else
    echo "install-cross-aarch64: nothing to install ($(aarch64-linux-gnu-gcc -dumpfullversion), $(qemu-aarch64 --version | head -n1))"
fi
