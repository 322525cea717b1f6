#!/usr/bin/env bash
# aarch64 Linux, cross-compiled on x86_64 and run under qemu-user: nng and
# mbedTLS are built by nng-sys's build script for aarch64-unknown-linux-gnu (the
# cmake crate hands CMake the target's system name, processor and the cross
# compiler), then a subset of the tests runs under qemu-aarch64 (the target's
# `runner` in .cargo/config.toml):
#
#   tests/protocols.rs transports.rs tls.rs aio.rs async.rs, and every test file
#   of nng-sys (nng-sys/tests/*.rs).
#
# Default features (vendored, tls). Tests that need external peers (pynng,
# Debian's nngcat, Chromium) are not in the subset. One `cargo test --no-run`
# builds every binary, then each is run; the counts are printed per binary.
# Needs what .ci/install-cross-aarch64.sh installs (it is called first, and
# installs nothing when all is there). Exits non-zero if any test fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)
elapsed() { echo "$(( $(date +%s) - start ))s"; }

target=aarch64-unknown-linux-gnu
bash .ci/install-cross-aarch64.sh
bash vendor/fetch-nng.sh
bash vendor/fetch-mbedtls.sh

tests=(--test protocols --test transports --test tls --test aio --test async)
for f in nng-sys/tests/*.rs; do
    tests+=(--test "$(basename "$f" .rs)")
done
args=(--target "$target" -p nng2 -p nng2-sys "${tests[@]}")

echo "=== build: cargo test --no-run ${args[*]} ($(elapsed))"
cargo test --no-run "${args[@]}"

log="${CARGO_TARGET_DIR:-target}/cross-aarch64.log"
echo "=== run under qemu-aarch64 ($(elapsed)); full output: $log"
status=0
# One test at a time per binary: emulated, a debug build of mbedTLS takes
# a good part of a second per handshake, and nng bounds a WebSocket's opening
# handshake, which for wss:// includes the TLS one, at a fixed 2 s
# (websocket.c, ws_init: httpaio). With the tests of tests/tls.rs running side
# by side on a loaded machine, wss:// dials failed with TimedOut (see
# docs/PLATFORMS.md).
timeout 1200 cargo test --no-fail-fast "${args[@]}" -- --test-threads=1 >"$log" 2>&1 || status=$?

# One line per test binary: its counts, from libtest's summary line.
awk '
    /^ *Running / { bin = $2 }
    /^test result: / {
        sub(/;$/, "", $4); sub(/;$/, "", $6); sub(/;$/, "", $8)
        printf "%-34s %4d passed %3d failed %3d ignored\n", bin, $4, $6, $8
        p += $4; f += $6; i += $8; n++
    }
    END { printf "%-34s %4d passed %3d failed %3d ignored (%d binaries)\n", "total", p, f, i, n }
' "$log"
if [ "$status" -ne 0 ]; then
    grep -E '^(---- |failures:|test .* FAILED|error)' "$log" >&2 || true
    echo "cross-aarch64: FAILED (cargo test exited $status; see $log) after $(elapsed)" >&2
    exit "$status"
fi
echo "cross-aarch64: all passed under qemu-aarch64 in $(elapsed)"
