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

# Real peers for the interop tests (Debian's nngcat, pynng) and the browser
# (Chromium + chromedriver) for the ws:// browser test.
for peer in .ci/install-peers.sh .ci/install-browser.sh; do
    if [ -f "$peer" ]; then
        bash "$peer"
    fi
done
