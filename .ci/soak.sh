#!/usr/bin/env bash
# The soak (examples/soak.rs, issue 20) for 60 s: every protocol over tcp,
# ipc, inproc, tls+tcp and ws, with listeners closed and reopened, client
# sockets replaced, pipes closed, garbage from raw TCP peers and sockets
# churned, on a 15 s fault cycle. It exits non-zero on a lost, duplicate or
# corrupt reply, a protocol that stopped delivering, or descriptors or RSS
# grown between its second and last line (docs/TESTING.md, "Soak").
#
#   .ci/soak.sh              60 s
#   SOAK_PROFILE=release .ci/soak.sh 1800 60   the full run of docs/TESTING.md (seconds, cycle)
#
# The debug build, which reuses what the test command of .ci/run built (a
# release build would compile nng, mbedTLS and every crate again); it only
# makes the figures smaller, the checks are the same. SOAK_PROFILE=release
# for the release build. Exit status: the soak's (124 if it overran its limit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-60}"
interval="${2:-15}"
target="${CARGO_TARGET_DIR:-target}"

profile="${SOAK_PROFILE:-debug}"
echo "soak: building ($profile)"
if [ "$profile" = release ]; then
    cargo build -q --release --example soak
else
    cargo build -q --example soak
fi
# The run, plus up to 30 s for requests in flight (their loss timeout), plus
# setup and teardown.
limit=$((seconds + interval + 90))
echo "soak: running for ${seconds} s, ${interval} s fault cycle (limit ${limit} s)"
status=0
timeout "$limit" "$target/$profile/examples/soak" --seconds "$seconds" --interval "$interval" || status=$?
if [ "$status" -ne 0 ]; then
    echo "soak: FAILED (exit status $status)" >&2
fi
exit "$status"
