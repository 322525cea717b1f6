#!/usr/bin/env bash
# Fetch nng 2.0.0's C source without committing it.
#
# The source of record is the nng 2.0.0 release carried under `nng/` inside the
# crates.io package `nng-sys` 0.4.0+2.0.0. We fetch that package through cargo (a
# throwaway manifest + `cargo fetch`), check the `.crate` file's sha256, and unpack
# its `nng/` folder into vendor/nng (ignored by git).
#
# It also links nng-sys/nng -> ../vendor/nng (ignored by git): that is where
# the build finds the source first, and what `cargo package` puts into the
# published nng-sys crate (its `include` list picks the files the build needs).
#
# Idempotent: when vendor/nng/.complete records the same checksum, it only
# checks the link.
set -euo pipefail

PKG_NAME="nng-sys"
PKG_VERSION="0.4.0+2.0.0"
PKG_SHA256="2b443b35d8f5e751db0d323fb6a31f0b4b3bb81bf8a628d7a8150273b342deb7"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/nng"
stamp="$dest/.complete"
crate_link="$here/../nng-sys/nng"

# nng-sys/nng -> ../vendor/nng, unless something else is already there.
link_into_crate() {
    if [ -L "$crate_link" ] || [ ! -e "$crate_link" ]; then
        ln -sfn ../vendor/nng "$crate_link"
    elif [ ! -f "$crate_link/include/nng/nng.h" ]; then
        echo "fetch-nng: $crate_link exists and is not nng's source; remove it and run again" >&2
        exit 1
    fi
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$PKG_SHA256" ] && [ -f "$dest/include/nng/nng.h" ]; then
    link_into_crate
    exit 0
fi

command -v cargo >/dev/null || { echo "fetch-nng: cargo is not on PATH; install Rust first" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
: > "$work/src/lib.rs"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "nng-source-fetch"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
$PKG_NAME = "=$PKG_VERSION"
[workspace]
TOML

echo "fetch-nng: fetching $PKG_NAME $PKG_VERSION from crates.io through cargo" >&2
if ! (cd "$work" && cargo fetch --quiet); then
    echo "fetch-nng: 'cargo fetch' failed: crates.io could not be reached (offline?). Connect and run vendor/fetch-nng.sh again." >&2
    exit 1
fi

cargo_home="${CARGO_HOME:-$HOME/.cargo}"
crate_file="$(ls -1 "$cargo_home"/registry/cache/*/"$PKG_NAME-$PKG_VERSION.crate" 2>/dev/null | head -n1 || true)"
if [ -z "$crate_file" ]; then
    echo "fetch-nng: cargo fetched, but $PKG_NAME-$PKG_VERSION.crate is not in $cargo_home/registry/cache" >&2
    exit 1
fi

actual="$(sha256sum "$crate_file" | cut -d' ' -f1)"
if [ "$actual" != "$PKG_SHA256" ]; then
    echo "fetch-nng: checksum mismatch for $crate_file" >&2
    echo "  expected $PKG_SHA256" >&2
    echo "  actual   $actual" >&2
    echo "  refusing to unpack it; delete that file and run vendor/fetch-nng.sh again" >&2
    exit 1
fi

rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
tar -xzf "$crate_file" -C "$dest.tmp" --strip-components=2 "$PKG_NAME-$PKG_VERSION/nng"
echo "$PKG_SHA256" > "$dest.tmp/.complete"
mv "$dest.tmp" "$dest"
link_into_crate
echo "fetch-nng: nng 2.0.0 source unpacked into $dest" >&2
