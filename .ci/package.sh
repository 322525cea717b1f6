#!/usr/bin/env bash
# Packages nng-sys and nng (published as nng2-sys and nng2) as crates.io
# would receive them, and proves the packages work on their own:
#
#   1. nng's and mbedTLS's source in place (vendor/fetch-nng.sh and
#      vendor/fetch-mbedtls.sh link nng-sys/nng and nng-sys/mbedtls);
#   2. nng-sys/generated/bindings.rs, the shipped bindings every build uses
#      (committed; .ci/bindings.sh checks them against bindgen);
#   3. `cargo package --workspace` (nng-sys first; nng's dependency on it is
#      resolved against the freshly packaged nng-sys, not crates.io), then the
#      contents and sizes of both .crate files are checked;
#   4. a scratch project outside the workspace depends on the two unpacked
#      .crate files by path (nng-sys through [patch.crates-io]), builds with
#      --offline from them alone and runs the packaged examples reqrep and
#      tls_reqrep;
#   5. the documentation-only build of the unpacked crates (what docs.rs does:
#      DOCS_RS set, no C compiled, all features, --cfg docsrs on nightly);
#   6. the minimum Rust version: the same scratch project built with the
#      toolchain named by `rust-version` (rustup), against a lock file that
#      cargo's MSRV-aware resolver wrote (kept in target/msrv-scratch; the
#      first run needs crates.io for older versions of a few dependencies), and
#      reqrep and tls_reqrep run again.
#
# Options:
#   --verify   also run cargo's own verification (`cargo publish --workspace
#              --dry-run`: builds each package from its .crate in a separate
#              target dir, a cold C build of nng and mbedTLS, ~2-3 min more)
#
# The scratch build uses the workspace's target dir, so only nng-sys (its C)
# and nng are compiled again; everything else is reused.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"

verify=0
case "${1:-}" in
    "") ;;
    --verify) verify=1 ;;
    *) echo "usage: .ci/package.sh [--verify]" >&2; exit 2 ;;
esac

target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
work="$target/package-check"
say() { echo "package: $*"; }
fail() { echo "package: FAILED: $*" >&2; exit 1; }

# 1. The C source.
bash vendor/fetch-nng.sh
bash vendor/fetch-mbedtls.sh
[ -f nng-sys/nng/include/nng/nng.h ] || fail "nng-sys/nng is not nng's source"
[ -f nng-sys/mbedtls/include/mbedtls/build_info.h ] || fail "nng-sys/mbedtls is not mbedTLS's source"

# 2. The shipped bindings.
[ -f nng-sys/generated/bindings.rs ] || fail "nng-sys/generated/bindings.rs is missing"

# 3. Package both crates.
if [ "$verify" = 1 ]; then
    say "cargo publish --workspace --dry-run (with verification)"
    cargo publish --workspace --dry-run --allow-dirty
fi
# Always: the dry run (cargo 1.95) leaves its .crate files in
# target/package/tmp-crate only; this writes them where they are checked below.
cargo package --workspace --no-verify --allow-dirty -q
# The package names (nng2-sys and nng2: the names nng-sys and nng on crates.io
# are another project's) and versions, as the manifests say; each package's
# first `name =` and `version =` lines are those of [package].
manifest_field() { sed -n "s/^$1 = \"\(.*\)\"/\1/p" "$2" | head -n1; }
sys_name="$(manifest_field name nng-sys/Cargo.toml)"
nng_name="$(manifest_field name Cargo.toml)"
sys_version="$(manifest_field version nng-sys/Cargo.toml)"
nng_version="$(manifest_field version Cargo.toml)"
sys_dir="$sys_name-$sys_version"
nng_dir="$nng_name-$nng_version"
sys_crate="$target/package/$sys_dir.crate"
nng_crate="$target/package/$nng_dir.crate"
limit=$((10 * 1024 * 1024))
for crate in "$sys_crate" "$nng_crate"; do
    [ -f "$crate" ] || fail "$crate was not written"
    size=$(stat -c %s "$crate")
    [ "$size" -lt "$limit" ] || fail "$crate is $size bytes, over crates.io's 10 MiB"
    say "$(basename "$crate"): $((size / 1024)) KiB compressed, $(tar -tzf "$crate" | wc -l) files"
done

# What must and must not be inside.
listing="$(tar -tzf "$sys_crate")"
for f in nng/include/nng/nng.h nng/CMakeLists.txt nng/LICENSE.txt nng/src/core/aio.c \
    nng/tests/CMakeLists.txt generated/bindings.rs generated/bindings-windows.rs LICENSE CHANGELOG.md build/main.rs \
    mbedtls/CMakeLists.txt mbedtls/LICENSE mbedtls/include/mbedtls/build_info.h \
    mbedtls/library/ssl_tls13_client.c build/nng_sys_mbedtls_config.h; do
    grep -qx "$sys_dir/$f" <<<"$listing" || fail "$sys_name package lacks $f"
done
for d in nng/docs/ nng/demo/ nng/.github/ nng/etc/ mbedtls/programs/ mbedtls/tests/ mbedtls/docs/; do
    if grep -q "^$sys_dir/$d" <<<"$listing"; then fail "$sys_name package carries $d"; fi
done
listing="$(tar -tzf "$nng_crate")"
for f in src/lib.rs build.rs LICENSE CHANGELOG.md README.md examples/reqrep.rs examples/tls_reqrep.rs \
    examples/common/certs.rs docs/MIGRATING.md; do
    grep -qx "$nng_dir/$f" <<<"$listing" || fail "$nng_name package lacks $f"
done
# docs/MIGRATING.md is the one file of docs/ it ships: src/lib.rs compiles its
# rows as doctests (`MigratingDoctests`), so `cargo test --doc` needs it.
if grep -v -x "$nng_dir/docs/MIGRATING.md" <<<"$listing" | grep -qE "^$nng_dir/(vendor|docs|\.ci)/"; then
    fail "$nng_name package carries vendor/, docs/ or .ci/"
fi
# Read whole before grepping: with pipefail, `tar | grep -q` fails when grep
# stops at its match while tar is still writing (SIGPIPE; the manifest is
# larger than a pipe's buffer).
packaged_manifest="$(tar -xzOf "$nng_crate" "$nng_dir/Cargo.toml")"
grep -q "^\\[dependencies.$sys_name\\]" <<<"$packaged_manifest" \
    || fail "packaged $nng_name does not depend on $sys_name"
if grep -A4 "^\\[dependencies.$sys_name\\]" <<<"$packaged_manifest" | grep -q 'path'; then
    fail "packaged $nng_name still has a path dependency"
fi

# 4. A scratch project that uses the packages by path.
rm -rf "$work"
mkdir -p "$work/scratch/src/bin"
tar -xzf "$sys_crate" -C "$work"
tar -xzf "$nng_crate" -C "$work"
cp "$work/$nng_dir/examples/reqrep.rs" "$work/$nng_dir/examples/tls_reqrep.rs" \
    "$work/scratch/src/bin/"
cp -r "$work/$nng_dir/examples/common" "$work/scratch/src/bin/"
rcgen_req="$(sed -n 's/^rcgen = \(.*\)/\1/p' Cargo.toml)"
cat >"$work/scratch/Cargo.toml" <<TOML
[package]
name = "nng-package-scratch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$nng_name = { path = "../$nng_dir" }
rcgen = $rcgen_req

[patch.crates-io]
$sys_name = { path = "../$sys_dir" }

[workspace]
TOML
# The workspace's lock file pins the same versions (and so reuses their builds).
cp Cargo.lock "$work/scratch/Cargo.lock"
say "scratch project: building from the unpacked .crate files (offline)"
t0=$(date +%s)
(cd "$work/scratch" && env -u NNG_SYS_SOURCE_DIR -u NNG_SYS_MBEDTLS_SOURCE_DIR CARGO_TARGET_DIR="$target" \
    cargo build -q --offline --bins)
say "scratch build: $(( $(date +%s) - t0 )) s"
for b in reqrep tls_reqrep; do
    timeout 60 "$target/debug/$b" >"$work/$b.log" 2>&1 || { cat "$work/$b.log" >&2; fail "scratch $b"; }
    say "scratch $b: ok ($(tail -n1 "$work/$b.log"))"
done
# The build really used the packaged source, not the repository's.
grep -rqs "$work/$sys_dir/nng" "$target"/debug/build/"$sys_name"-*/output \
    || fail "the scratch build of $sys_name did not use the packaged nng/ source"
grep -rqs "$work/$sys_dir/mbedtls" "$target"/debug/build/"$sys_name"-*/output \
    || fail "the scratch build of $sys_name did not use the packaged mbedtls/ source"

# 5. What docs.rs runs: DOCS_RS set (nng-sys compiles no C and takes
#    generated/bindings.rs), the `tools` feature, --cfg docsrs for the badges, nightly.
#    In the scratch project (the unpacked crates are not in a workspace of
#    their own); a target dir of its own, kept between runs.
if cargo +nightly --version >/dev/null 2>&1; then
    say "docs.rs build of the unpacked crates (DOCS_RS=1, nightly, --cfg docsrs, all features)"
    t0=$(date +%s)
    mkdir -p "$work/docs/src"
    : >"$work/docs/src/lib.rs"
    sed -e 's/^name = .*/name = "nng-package-docs"/' -e '/^rcgen = /d' \
        -e "s|^$nng_name = .*|$nng_name = { path = \"../$nng_dir\", features = [\"tools\"] }|" \
        "$work/scratch/Cargo.toml" >"$work/docs/Cargo.toml"
    cp Cargo.lock "$work/docs/Cargo.lock"
    (cd "$work/docs" && DOCS_RS=1 CARGO_TARGET_DIR="$target/docs-rs" RUSTDOCFLAGS="--cfg docsrs" \
        cargo +nightly doc -q --offline --no-deps -p "$nng_name" -p "$sys_name")
    docs="$target/docs-rs/doc"
    for page in nng/tls/index.html nng/dialer/struct.Dialer.html; do
        grep -q 'feature <code>tls</code>' "$docs/$page" \
            || fail "no doc_cfg badge for the tls feature on $page"
    done
    grep -q 'feature <code>tools</code>' "$docs/nng_sys/constant.TOOLS_DIR.html" \
        || fail "no doc_cfg badge for the tools feature on nng_sys::TOOLS_DIR"
    if grep -q 'rustc-link-lib\|cmake' "$target"/docs-rs/debug/build/"$sys_name"-*/output; then
        fail "the documentation build of $sys_name compiled or linked C"
    fi
    say "docs: $(( $(date +%s) - t0 )) s, $docs/nng/index.html"
else
    fail "no nightly toolchain for the docs.rs build (rustup toolchain install nightly --profile minimal)"
fi
# 6. The minimum supported Rust version.
msrv="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
if ! cargo "+$msrv" --version >/dev/null 2>&1; then
    fail "no Rust $msrv toolchain for the rust-version check (rustup toolchain install $msrv --profile minimal)"
fi
say "Rust $msrv (rust-version): the scratch project built and run with cargo +$msrv"
t0=$(date +%s)
msrv_dir="$target/msrv-scratch"
mkdir -p "$msrv_dir/src/bin"
cp -r "$work/scratch/src/bin/"* "$msrv_dir/src/bin/"
sed -e 's/^name = .*/name = "nng-package-msrv"/' -e "s/^edition = .*/&\nrust-version = \"$msrv\"/" \
    -e "s|\"\.\./|\"../package-check/|" "$work/scratch/Cargo.toml" >"$msrv_dir/Cargo.toml"
# Versions that support $msrv (e.g. an older `home` for bindgen 0.65): the
# lock file is written by the current cargo with its MSRV-aware resolver
# (which needs crates.io: offline it ignores rust-version), kept while it
# still fits the manifest, and used as it is by cargo $msrv.
if ! (cd "$msrv_dir" && [ -f Cargo.lock ] \
    && cargo "+$msrv" metadata -q --locked --offline --format-version 1 >/dev/null 2>&1); then
    (cd "$msrv_dir" && CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback cargo generate-lockfile -q)
fi
(cd "$msrv_dir" && CARGO_TARGET_DIR="$target/msrv" cargo "+$msrv" build -q --locked --bins)
for b in reqrep tls_reqrep; do
    timeout 60 "$target/msrv/debug/$b" >"$work/msrv-$b.log" 2>&1 || { cat "$work/msrv-$b.log" >&2; fail "Rust $msrv: $b"; }
done
say "Rust $msrv: built and ran reqrep and tls_reqrep in $(( $(date +%s) - t0 )) s"
say "ok"
