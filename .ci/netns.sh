#!/usr/bin/env bash
# The network-namespace fault tests (tests/netns_faults.rs) N times in a row
# (default 10): link cuts under req/rep and pub/sub, a host's namespace
# deleted and recreated, a peer behind a link that stays down. Needs root and
# iproute2 (.ci/install-netns.sh). Prints each run's figures (lost messages,
# reconnect times, ...) and the pass count; fails unless every run passed.
#
#   .ci/netns.sh        10 runs
#   .ci/netns.sh 3      3 runs
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-10}
case $runs in '' | *[!0-9]* | 0) echo "netns: want a positive number of runs, not '$runs'" >&2; exit 2 ;; esac

cargo test --features tools --test netns_faults --no-run || exit 1
log=$(mktemp -t "netns-runs.$$.XXXXXX")
trap 'rm -f "$log"' EXIT
passed=0
for i in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    # The four tests mostly wait (5 s link cuts, timeouts) and count descriptors
    # and RSS in their own service processes, so they run side by side.
    if cargo test -q --features tools --test netns_faults -- --nocapture --test-threads 4 >"$log" 2>&1; then
        passed=$((passed + 1))
        verdict=ok
    else
        verdict=FAILED
    fi
    took=$((($(date +%s%N) - start) / 100000000))
    echo "netns run $i/$runs: $verdict ($((took / 10)).$((took % 10)) s)"
    # -o: with --nocapture, the lines of tests running in parallel can share a line.
    grep -oE '(req/rep, |pub/sub|recreated host:|dead link:).*' "$log" | sed 's/^/    /'
    if [ "$verdict" = FAILED ]; then
        sed 's/^/    | /' "$log"
    fi
done
echo "netns: $passed/$runs runs passed"
[ "$passed" -eq "$runs" ]
