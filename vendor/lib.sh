# shellcheck shell=bash
# Shared by the vendor/fetch-*.sh scripts (sourced, not run): fetch one crates.io
# package through cargo, check the .crate file's sha256, and unpack one folder of it
# into vendor/<name> (ignored by git), then link nng-sys/<name> -> ../vendor/<name>
# (ignored too): that link is where the build looks first and what `cargo package`
# ships inside nng-sys, filtered by its `include` list.
#
# fetch_crate_folder NAME PKG VERSION SHA256 FOLDER MARKER
#   NAME     the folder name under vendor/ and nng-sys/ (nng, mbedtls)
#   PKG      the crates.io package that carries the C source
#   VERSION  its exact version
#   SHA256   the sha256 of its .crate file
#   FOLDER   the folder inside the package to unpack
#   MARKER   a file whose presence says the tree is complete (relative to it)
#
# Idempotent: when vendor/NAME/.complete records the same checksum and MARKER is
# there, it only checks the link.

fetch_crate_folder() {
    local name="$1" pkg="$2" version="$3" sha="$4" folder="$5" marker="$6"
    local here dest stamp crate_link
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    dest="$here/$name"
    stamp="$dest/.complete"
    crate_link="$here/../nng-sys/$name"

    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sha" ] && [ -f "$dest/$marker" ]; then
        _link_into_crate "$crate_link" "$name" "$marker" "$sha"
        return 0
    fi

    command -v cargo >/dev/null || { echo "fetch-$name: cargo is not on PATH; install Rust first" >&2; return 1; }

    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN
    mkdir -p "$work/src"
    : > "$work/src/lib.rs"
    cat > "$work/Cargo.toml" <<TOML
[package]
name = "$name-source-fetch"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
$pkg = "=$version"
[workspace]
TOML

    echo "fetch-$name: fetching $pkg $version from crates.io through cargo" >&2
    if ! (cd "$work" && cargo fetch --quiet); then
        echo "fetch-$name: 'cargo fetch' failed: crates.io could not be reached (offline?). Connect and run vendor/fetch-$name.sh again." >&2
        return 1
    fi

    local cargo_home crate_file actual
    cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    # Git Bash on Windows: CARGO_HOME is a Windows path (C:\Users\...); globs and
    # GNU tar (which reads "C:" as a remote host) want the /c/Users/... form.
    if command -v cygpath >/dev/null 2>&1; then
        cargo_home="$(cygpath -u "$cargo_home")"
    fi
    crate_file="$(ls -1 "$cargo_home"/registry/cache/*/"$pkg-$version.crate" 2>/dev/null | head -n1 || true)"
    if [ -z "$crate_file" ]; then
        echo "fetch-$name: cargo fetched, but $pkg-$version.crate is not in $cargo_home/registry/cache" >&2
        return 1
    fi

    actual="$(_sha256 "$crate_file")" || return 1
    if [ "$actual" != "$sha" ]; then
        echo "fetch-$name: checksum mismatch for $crate_file" >&2
        echo "  expected $sha" >&2
        echo "  actual   $actual" >&2
        echo "  refusing to unpack it; delete that file and run vendor/fetch-$name.sh again" >&2
        return 1
    fi

    local depth
    depth=$(( $(echo "$folder" | tr -cd '/' | wc -c) + 2 ))
    rm -rf "$dest" "$dest.tmp"
    mkdir -p "$dest.tmp"
    tar -xzf "$crate_file" -C "$dest.tmp" --strip-components="$depth" "$pkg-$version/$folder"
    [ -f "$dest.tmp/$marker" ] || { echo "fetch-$name: $folder/$marker is missing from $pkg $version" >&2; return 1; }
    echo "$sha" > "$dest.tmp/.complete"
    mv "$dest.tmp" "$dest"
    _link_into_crate "$crate_link" "$name" "$marker" "$sha"
    echo "fetch-$name: $pkg $version's $folder/ unpacked into $dest" >&2
}

# The sha256 of a file, in hex: sha256sum (GNU coreutils: Linux, Git Bash on
# Windows), else shasum (Perl; macOS has it, not sha256sum), else openssl.
_sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    elif command -v openssl >/dev/null 2>&1; then
        openssl dgst -sha256 -r "$1" | cut -d' ' -f1
    else
        echo "vendor/lib.sh: no sha256 tool (sha256sum, shasum or openssl) to check $1" >&2
        return 1
    fi
}

# nng-sys/NAME -> ../vendor/NAME, unless something else is already there.
# Git Bash on Windows makes a copy instead of a link unless Windows symlinks
# are enabled (MSYS=winsymlinks:nativestrict and Developer Mode); the build
# reads nng-sys/NAME first, so a copy left by an older fetch (its .complete
# names another checksum) is replaced.
_link_into_crate() {
    local crate_link="$1" name="$2" marker="$3" sha="$4"
    if [ -L "$crate_link" ] || [ ! -e "$crate_link" ]; then
        ln -sfn "../vendor/$name" "$crate_link"
    elif [ -f "$crate_link/.complete" ] && [ "$(cat "$crate_link/.complete")" != "$sha" ]; then
        rm -rf "$crate_link"
        ln -sfn "../vendor/$name" "$crate_link"
    elif [ ! -f "$crate_link/$marker" ]; then
        echo "fetch-$name: $crate_link exists and is not $name's source; remove it and run again" >&2
        return 1
    fi
}
