#!/usr/bin/env bash
# nng-sys ships its bindings (nng-sys/generated/bindings.rs, and
# bindings-windows.rs for Windows) so the default
# build needs no libclang. This regenerates them with bindgen from the vendored
# headers (feature `bindgen`, libclang from .ci/install-libclang.sh) and fails
# when they differ from the shipped copy. To update the copy after a header
# change: NNG_SYS_BLESS_BINDINGS=1 cargo build -p nng2-sys --features bindgen
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/install-libclang.sh
NNG_SYS_CHECK_BINDINGS=1 cargo build -q -p nng2-sys --features bindgen
echo "bindings: bindgen's output equals nng-sys/generated/bindings.rs ($(wc -l <nng-sys/generated/bindings.rs) lines)"
# The Windows copy (Windows' struct tm differs, see nng-sys/build/bind.rs) is
# generated for x86_64-pc-windows-gnu against MinGW-w64's headers, which
# .ci/install-cross.sh installs; this builds nng for that target too.
win=x86_64-pc-windows-gnu
if command -v x86_64-w64-mingw32-gcc >/dev/null && rustup target list --installed | grep -qx "$win"; then
    NNG_SYS_CHECK_BINDINGS=1 cargo build -q -p nng2-sys --features bindgen --target "$win"
    echo "bindings: bindgen's output for $win equals nng-sys/generated/bindings-windows.rs"
else
    echo "bindings: nng-sys/generated/bindings-windows.rs NOT checked: no MinGW-w64 or no rustup target $win (.ci/install-cross.sh)"
fi
