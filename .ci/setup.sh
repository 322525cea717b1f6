#!/usr/bin/env bash
# Everything a fresh Debian machine needs to build and test this repository:
# the C toolchain pieces (cmake, libclang for bindgen, pkg-config), nng's C source
# (vendor/fetch-nng.sh), and the real peers the interop tests talk to.
# Idempotent and quick when all is present. Run as root (or with sudo) on Debian;
# elsewhere it says what to install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cc >/dev/null || need+=(build-essential)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || ls /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1 || need+=(libclang-dev)
if [ "${#need[@]}" -gt 0 ]; then
    if command -v apt-get >/dev/null; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "setup: installing ${need[*]} with apt-get" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "setup: please install: ${need[*]} (cmake, pkg-config, a C compiler, libclang for bindgen)" >&2
        exit 1
    fi
fi

bash vendor/fetch-nng.sh

# For .ci/system-nng.sh: an old system nng (Debian's 1.5.2 headers and library)
# that the build must refuse by name. Optional elsewhere.
if command -v apt-get >/dev/null && ! dpkg -s libnng-dev >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing libnng-dev (nng 1.5.2, for the system-nng refusal test)" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libnng-dev >/dev/null
fi

# For .ci/package.sh: the toolchain named by rust-version (the MSRV build) and
# nightly (the docs.rs build with doc_cfg badges).
if command -v rustup >/dev/null; then
    msrv="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
    for tc in "$msrv" nightly; do
        if ! cargo "+$tc" --version >/dev/null 2>&1; then
            echo "setup: installing Rust $tc (rustup, minimal profile)" >&2
            rustup toolchain install "$tc" --profile minimal
        fi
    done
else
    echo "setup: no rustup: .ci/package.sh will need Rust $(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml) and nightly" >&2
fi

# Real peers for the interop tests (Debian's nngcat, pynng) and the browser
# (Chromium + chromedriver) for the ws:// browser test.
for peer in .ci/install-peers.sh .ci/install-browser.sh; do
    if [ -f "$peer" ]; then
        bash "$peer"
    fi
done
