#!/usr/bin/env bash
# What .ci/cross-windows.sh needs to cross-build for x86_64-pc-windows-gnu and
# run the result: Debian's MinGW-w64 C and C++ compilers (nng and mbedTLS are
# built with CMake, which wants both), 64-bit wine, and the rustup target.
# Idempotent: installs only what is missing. The check is real: a C hello.exe
# and a Rust one are compiled, linked and run under wine (through the same
# runner cargo uses, .ci/cross/wine-run.sh), and must print their greeting.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=x86_64-pc-windows-gnu

need=()
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64)
command -v x86_64-w64-mingw32-g++ >/dev/null || need+=(g++-mingw-w64-x86-64)
command -v wine >/dev/null || need+=(wine)
{ command -v wine64 >/dev/null || [ -x /usr/lib/wine/wine64 ]; } || need+=(wine64)
if [ "${#need[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    echo "install-cross: installed ${need[*]}"
fi
if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
    echo "install-cross: added the rustup target $target"
fi

tmp="$(mktemp -d -t "nng-install-cross.$$.XXXXXX")"
export WINEPREFIX="$tmp/prefix"
cleanup() {
    wineserver -k >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
printf '#include <stdio.h>\nint main(void) { printf("hello from C\\n"); return 0; }\n' >"$tmp/hello.c"
printf 'fn main() { println!("hello from Rust"); }\n' >"$tmp/hello.rs"
x86_64-w64-mingw32-gcc -o "$tmp/hello-c.exe" "$tmp/hello.c"
rustc --target "$target" -C linker=x86_64-w64-mingw32-gcc -o "$tmp/hello-rs.exe" "$tmp/hello.rs"
c_out="$(.ci/cross/wine-run.sh "$tmp/hello-c.exe" | tr -d '\r')"
rs_out="$(.ci/cross/wine-run.sh "$tmp/hello-rs.exe" | tr -d '\r')"
[ "$c_out" = "hello from C" ] || { echo "install-cross: the C hello.exe printed '$c_out'" >&2; exit 1; }
[ "$rs_out" = "hello from Rust" ] || { echo "install-cross: the Rust hello.exe printed '$rs_out'" >&2; exit 1; }
wine64="$(command -v wine64 || echo /usr/lib/wine/wine64)"
echo "install-cross: $(x86_64-w64-mingw32-gcc --version | head -1); $("$wine64" --version); a C and a Rust hello.exe ran under wine"
