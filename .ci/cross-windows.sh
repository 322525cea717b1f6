#!/usr/bin/env bash
# Cross-builds nng2-sys and nng2 for x86_64-pc-windows-gnu with Debian's
# MinGW-w64 and runs them under wine (what runs and what does not, and why:
# .ci/cross/README.md). Needs .ci/install-cross.sh. From a clean checkout:
#
#   1. one `cargo test --no-run` builds nng and mbedTLS (CMake, MinGW-w64),
#      the test binaries below and the examples;
#   2. each test binary runs under wine: nng-sys's layout test (the shipped
#      Windows bindings against MinGW-w64's sizeof/_Alignof/offsetof) and FFI
#      tests, and the safe crate's tests of every protocol over inproc, tcp,
#      ipc (Windows named pipes) and tls+tcp, of Aio and of async;
#   3. the examples run, the long-running ones in their short modes.
#
# Prints passed/failed/ignored per test binary and ok/FAILED per example, and
# exits non-zero when anything failed. Logs: target/cross-windows/. The aio
# hammers run AIO_HAMMER_ITERS=2000 rounds (see below).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=x86_64-pc-windows-gnu
sys_tests=(layout ffi)
tests=(protocols transports tls aio async)
examples=(pair reqrep pubsub pipeline survey bus tls_reqrep)

t0=$(date +%s)
logs="${CARGO_TARGET_DIR:-target}/cross-windows"
rm -rf "$logs"
mkdir -p "$logs"
tmp="$(mktemp -d -t "nng-cross-windows.$$.XXXXXX")"
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all
cleanup() {
    wineserver -k >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# The wine prefix is made while cargo builds.
bash .ci/cross/wine-prefix.sh >"$logs/wine-prefix.log" 2>&1 &
prefix_pid=$!

json=(--target "$target" --message-format=json-render-diagnostics)
args=(-p nng2-sys)
for t in "${sys_tests[@]}"; do args+=(--test "$t"); done
args+=(-p nng2)
for t in "${tests[@]}"; do args+=(--test "$t"); done
echo "cross-windows: building for $target (one cargo test --no-run, then the examples)"
cargo test "${json[@]}" --no-run "${args[@]}" >"$tmp/artifacts.json"
# `cargo test --example` would build them as test harnesses; these are the
# programs. The same two packages are selected as above, so that their
# features resolve alike and nng's C is not built a second time.
eargs=(-p nng2-sys -p nng2)
for e in "${examples[@]}"; do eargs+=(--example "$e"); done
cargo build "${json[@]}" "${eargs[@]}" >>"$tmp/artifacts.json"
t_built=$(date +%s)
echo "cross-windows: built in $((t_built - t0)) s"
wait "$prefix_pid" || { cat "$logs/wine-prefix.log" >&2; exit 1; }

# name<TAB>kind<TAB>executable<TAB>package root, from cargo's artifact messages.
python3 - "$tmp/artifacts.json" >"$tmp/executables" <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    kind = m["target"]["kind"][0]
    root = os.path.dirname(m["manifest_path"])
    print("\t".join([m["target"]["name"], kind, m["executable"], root]))
PY

# The aio hammers' rounds each wait for nng's timer thread; under wine a round
# takes about 8 ms instead of 0.5 ms (20 000 rounds: 170 s), so fewer rounds.
export AIO_HAMMER_ITERS="${AIO_HAMMER_ITERS:-2000}"
failed=0
run="$PWD/.ci/cross/wine-run.sh"
exe_of() { awk -F'\t' -v n="$1" -v k="$2" '$1 == n && $2 == k { print $3 "\t" $4; exit }' "$tmp/executables"; }

echo "cross-windows: test binaries under wine"
for t in "${sys_tests[@]}" "${tests[@]}"; do
    IFS=$'\t' read -r exe root < <(exe_of "$t" test) || { echo "no executable for test $t" >&2; exit 1; }
    log="$logs/test-$t.log"
    s=$(date +%s)
    rc=0
    extra=()
    # One TLS test at a time: with two, handshakes under wine's loaded
    # sockets sometimes outlast the tests' bounds (wrong_ca_is_refused_wss:
    # "operation hung (or panicked): Timeout"); see .ci/cross/README.md.
    [ "$t" = tls ] && extra=(--test-threads=1)
    (cd "$root" && CARGO_MANIFEST_DIR="$root" timeout 900 "$run" "$exe" "${extra[@]}") >"$log" 2>&1 || rc=$?
    read -r p f i < <(tr -d '\r' <"$log" | awk '/^test result:/ {
        for (n = 1; n <= NF; n++) {
            if ($(n+1) ~ /^passed/) p += $n
            if ($(n+1) ~ /^failed/) f += $n
            if ($(n+1) ~ /^ignored/) i += $n
        } } END { print p+0, f+0, i+0 }')
    status=ok
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then status="FAILED (exit $rc, log $log)"; failed=1; fi
    printf '  %-12s %4d passed %3d failed %3d ignored %5d s  %s\n' "$t" "$p" "$f" "$i" $(($(date +%s) - s)) "$status"
done

echo "cross-windows: examples under wine"
for e in "${examples[@]}"; do
    IFS=$'\t' read -r exe root < <(exe_of "$e" example) || { echo "no executable for example $e" >&2; exit 1; }
    log="$logs/example-$e.log"
    s=$(date +%s)
    rc=0
    (cd "$root" && timeout 120 "$run" "$exe") >"$log" 2>&1 || rc=$?
    status=ok
    if [ "$rc" -ne 0 ]; then status="FAILED (exit $rc, log $log)"; failed=1; fi
    printf '  %-12s %5d s  %s\n' "$e" $(($(date +%s) - s)) "$status"
done

echo "cross-windows: $(($(date +%s) - t0)) s in all (build $((t_built - t0)) s)"
exit "$failed"
