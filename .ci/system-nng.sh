#!/usr/bin/env bash
# The system-nng build of nng-sys (no `vendored`, or NNG_SYS_NO_VENDOR=1):
#
#   1. with what this machine has (on Debian: libnng-dev 1.5.2, which ships
#      no nng.pc), or an nng.pc of version 1.5.2: the build must stop with an
#      error that names the version found;
#   2. --with-2.0: nng 2.0.0 built from the vendored source with CMake and
#      installed into target/system-nng/prefix with an nng.pc written here (nng
#      installs none): nng-sys's FFI tests and nng's no-TLS test must pass
#      against it. A cold CMake build of nng the first time (~40 s), then
#      incremental.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

with_2_0=0
case "${1:-}" in
    "") ;;
    --with-2.0) with_2_0=1 ;;
    *) echo "usage: .ci/system-nng.sh [--with-2.0]" >&2; exit 2 ;;
esac
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
work="$target/system-nng"
mkdir -p "$work"

# Expects a failed build of nng-sys whose output contains the pattern.
expect_refusal() {
    local pattern="$1" log="$work/refusal.log"
    shift
    if "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "system-nng: FAILED: '$*' built, but should have refused" >&2
        exit 1
    fi
    if ! grep -q "$pattern" "$log"; then
        cat "$log" >&2
        echo "system-nng: FAILED: '$*' failed without saying '$pattern'" >&2
        exit 1
    fi
    echo "system-nng: refused as expected: $(grep '^  error: ' "$log" | head -n1 | sed 's/^ *//')"
}

# 1a. This machine as it is (PKG_CONFIG_PATH cleared of our own .pc files).
if pkg-config --atleast-version=2.0.0 nng 2>/dev/null; then
    echo "system-nng: pkg-config has nng $(pkg-config --modversion nng): building against it"
    cargo test -q -p nng2-sys --no-default-features --test ffi
else
    # Debian's libnng-dev (installed by .ci/setup.sh) has no nng.pc: the error
    # names the version of its header.
    pattern="nng-sys needs nng >= 2.0.0"
    if [ -f /usr/include/nng/nng.h ]; then
        header_version="$(sed -n 's/^#define NNG_\(MAJOR\|MINOR\|PATCH\)_VERSION \([0-9]*\).*/\2/p' \
            /usr/include/nng/nng.h | paste -sd.)"
        pattern="is version $header_version without a pkg-config file; $pattern"
    fi
    expect_refusal "$pattern" cargo build -p nng2-sys --no-default-features
    # The same through the environment variable, with `vendored` requested
    # (through `tools`, a feature set no other CI step builds).
    NNG_SYS_NO_VENDOR=1 expect_refusal "$pattern" \
        cargo build -p nng2-sys --no-default-features --features tools
fi

# 1b. An nng.pc that says 1.5.2.
mkdir -p "$work/old-pc"
cat >"$work/old-pc/nng.pc" <<'PC'
prefix=/usr
Name: nng
Description: nng 1.5.2 (a test's pkg-config file)
Version: 1.5.2
Cflags: -I${prefix}/include
Libs: -lnng
PC
PKG_CONFIG_PATH="$work/old-pc" expect_refusal "version 1.5.2, older than 2.0.0" \
    cargo build -p nng2-sys --no-default-features

[ "$with_2_0" = 1 ] || exit 0

# 2. A system nng 2.0.0 of our own making.
bash vendor/fetch-nng.sh
prefix="$work/prefix"
cmake -S vendor/nng -B "$work/cmake-build" -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DBUILD_SHARED_LIBS=OFF -DNNG_TESTS=OFF -DNNG_TOOLS=OFF -DNNG_ENABLE_NNGCAT=OFF \
    -DNNG_ENABLE_TLS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON >"$work/cmake.log"
cmake --build "$work/cmake-build" --parallel "$(nproc)" >>"$work/cmake.log"
cmake --install "$work/cmake-build" >>"$work/cmake.log"
mkdir -p "$prefix/lib/pkgconfig"
cat >"$prefix/lib/pkgconfig/nng.pc" <<PC
prefix=$prefix
Name: nng
Description: nng 2.0.0 built by .ci/system-nng.sh
Version: 2.0.0
Cflags: -I\${prefix}/include
Libs: -L\${prefix}/lib -lnng -lpthread
PC
echo "system-nng: nng 2.0.0 installed in $prefix; testing against it"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cargo test -q -p nng2-sys --no-default-features --test ffi
cargo test -q -p nng2 --no-default-features --test tls_disabled --test protocols
# The build asked that nng for its TLS engine: none, so the TLS API is compiled out
# and tls_disabled ran its test (a file compiled out would run none).
cargo test -q -p nng2 --no-default-features --test tls_disabled 2>&1 | grep -q "1 passed" \
    || { echo "system-nng: tls_disabled ran no test: the TLS engine was not detected as none" >&2; exit 1; }
echo "system-nng: ok"
