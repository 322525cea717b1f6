#!/usr/bin/env bash
# Everything a fresh Debian machine needs to build and test this repository:
# the build tools (cmake, make, a C compiler, pkg-config), the C sources
# (vendor/fetch-nng.sh, vendor/fetch-mbedtls.sh), the openssl command the TLS
# tests use, the Rust toolchains .ci/package.sh builds with, and the real peers
# the interop and browser tests talk to. The default build needs no libclang:
# nng-sys ships its bindings (only the `bindgen` and `tls-mbedtls-2` features
# need it; .ci/install-libclang.sh installs it for CI's checks of those).
#
# Each need is checked by running the thing (a tool that answers), never by a
# file name. Idempotent and quick when all is present; prints one line saying
# what it installed. Run as root (or with sudo) on Debian; elsewhere it says
# what to install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs() { "$@" >/dev/null 2>&1; }
installed=()

apt_install() {
    if ! command -v apt-get >/dev/null; then
        echo "setup: please install: $* (Debian package names)" >&2
        exit 1
    fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "${SETUP_APT_UPDATED:-}" ]; then
        $sudo apt-get update -qq
        SETUP_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    installed+=("$@")
}

need=()
runs cmake --version || need+=(cmake)
runs make --version || need+=(make)
runs pkg-config --version || need+=(pkg-config)
# A C compiler that builds and links a program, not just one on PATH.
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '#include <pthread.h>\nint main(void){return 0;}\n' > "$probe/t.c"
runs cc "$probe/t.c" -o "$probe/t" -lpthread && runs "$probe/t" || need+=(build-essential)
runs openssl version || need+=(openssl)
runs python3 -c 'import sys' || need+=(python3)
[ "${#need[@]}" -eq 0 ] || apt_install "${need[@]}"
# What was installed must now answer.
cmake --version >/dev/null && make --version >/dev/null && pkg-config --version >/dev/null
cc "$probe/t.c" -o "$probe/t" -lpthread && "$probe/t"

bash vendor/fetch-nng.sh
bash vendor/fetch-mbedtls.sh

# For .ci/system-nng.sh: an old system nng (Debian's 1.5.2 headers and
# library) that the build must refuse by name.
if ! pkg-config --exists nng 2>/dev/null && ! dpkg -s libnng-dev >/dev/null 2>&1; then
    apt_install libnng-dev
fi

# For .ci/package.sh: the toolchain named by rust-version (the MSRV build) and
# nightly (the docs.rs build with doc_cfg badges).
if command -v rustup >/dev/null; then
    msrv="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
    for tc in "$msrv" nightly; do
        if ! cargo "+$tc" --version >/dev/null 2>&1; then
            rustup toolchain install "$tc" --profile minimal >/dev/null 2>&1
            cargo "+$tc" --version >/dev/null
            installed+=("rust-$tc")
        fi
    done
else
    echo "setup: no rustup: .ci/package.sh will need Rust $(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml) and nightly" >&2
fi

# Real peers for the interop tests (Debian's nngcat, pynng) and the browser
# (Chromium + chromedriver) for the ws:// browser test. Each says what it did.
bash .ci/install-peers.sh
bash .ci/install-browser.sh
# iproute2 for the network-namespace fault tests (tests/netns_faults.rs).
bash .ci/install-netns.sh

if [ "${#installed[@]}" -gt 0 ]; then
    echo "setup: installed ${installed[*]}"
else
    echo "setup: nothing to install"
fi
