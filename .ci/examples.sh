#!/usr/bin/env bash
# Runs every example of the gallery (examples/README.md), the long-running ones in a short
# mode, each under a time limit; fails on the first one that fails.
#
#   .ci/examples.sh            default features (what `cargo run --example X` does)
#   .ci/examples.sh --no-tls   --no-default-features --features vendored
#                              (tls_reqrep is skipped: it needs `tls`)
#
# All examples are built first with one `cargo build --examples`; bench_compare
# (feature `tools`) is built and run last with `--features tools`. Output of
# each example goes to target/ci-examples/NAME.log, shown when it fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

features=()
tls=1
case "${1:-}" in
    "") ;;
    --no-tls) features=(--no-default-features --features vendored); tls=0 ;;
    *) echo "usage: .ci/examples.sh [--no-tls]" >&2; exit 2 ;;
esac

target="${CARGO_TARGET_DIR:-target}"
bin="$target/debug/examples"
logs="$target/ci-examples"
rm -rf "$logs"
mkdir -p "$logs"

# Runs one example binary with a time limit; its output goes to a log.
run() {
    local name="$1" log="$logs/$1.log" t0
    shift
    t0=$(date +%s%N)
    if ! timeout 120 "$bin/$name" "$@" >"$log" 2>&1; then
        echo "example $name $* FAILED; its output:" >&2
        cat "$log" >&2
        exit 1
    fi
    printf '  %-14s ok %6d ms  %s\n' "$name" $(( ($(date +%s%N) - t0) / 1000000 )) "$*"
}

echo "building the examples (${features[*]:-default features})"
cargo build -q "${features[@]}" --examples

for name in pair reqrep pubsub pipeline survey bus stats async_server async_tokio; do
    run "$name"
done
if [ "$tls" = 1 ]; then
    run tls_reqrep
    run tls_handshakes 0.5
fi
run browser_chat --http-port 0 --ws-port 0 --exit-after 1
run perf -m inproc_lat 64 2000
run perf -m inproc_thr 64 2000

# nngcat: a rep that answers once, a req that asks once, over ipc.
sock_dir="$(mktemp -d)"
trap 'rm -rf "$sock_dir"' EXIT
url="ipc://$sock_dir/nngcat.sock"
timeout 60 "$bin/nngcat" --rep --listen "$url" --data pong --count 1 --quoted >"$logs/nngcat-rep.log" 2>&1 &
rep_pid=$!
run nngcat --req --dial "$url" --data ping --quoted --recv-timeout 10
wait "$rep_pid" || { echo "nngcat --rep failed:" >&2; cat "$logs/nngcat-rep.log" >&2; exit 1; }
grep -qx '"pong"' "$logs/nngcat.log" || { echo "nngcat --req did not print \"pong\":" >&2; cat "$logs/nngcat.log" >&2; exit 1; }
grep -qx '"ping"' "$logs/nngcat-rep.log" || { echo "nngcat --rep did not print \"ping\":" >&2; cat "$logs/nngcat-rep.log" >&2; exit 1; }

# bench_compare needs the C tools; --quick with a small scale and only the
# main section keeps it to seconds (in the debug profile: a smoke test, not a
# measurement).
echo "building bench_compare (--features tools)"
cargo build -q "${features[@]}" --features tools --example bench_compare
run bench_compare --quick --scale 0.02 --sections main --out "$logs/bench_compare"
run bench_compare --plot-only --out "$logs/bench_compare"
run bench_compare --quick --sections scale --out "$logs/bench_compare_scale"
