#!/usr/bin/env bash
# ThreadSanitizer over the callback core (issue 17): the aio, async, context,
# pipe, drop_in_callback, callback_soundness and stress tests, the give-up
# tests (adversarial_ws: ws and tcp; adversarial_ws2: every transport, tcp,
# ipc, inproc and ws, including ipc dials to a full backlog; dials, accepts
# and pipes given up at every moment) and ipc_backlog (ipc dials refused by a
# full backlog, then redialled), with Rust and nng's C both instrumented.
# (TLS is off in this build: those files' tls+tcp cases are left out.)
#
#   .ci/tsan.sh              those test binaries, one after another
#   .ci/tsan.sh --test aio   other cargo test arguments instead
#
# Rust: nightly with -Zsanitizer=thread and -Zbuild-std, so std's own atomics
# and locks (Arc, Mutex, Condvar, thread spawn/join) are instrumented too;
# without that TSan reports every Arc drop. An explicit --target keeps build
# scripts and proc macros uninstrumented. nng: its CMake option NNG_SANITIZER
# (through nng-sys's NNG_SYS_SANITIZER=thread), as .ci/memcheck --asan does for
# address. No TLS: these tests use none, and the plain `vendored` feature keeps
# mbedTLS out of the build. The C compiler is clang (see .ci/memcheck). A
# separate target dir keeps the ordinary build untouched.
#
# Suppressions (.ci/tsan.supp) each name their cause. Exit status: cargo's.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
toolchain=${TSAN_TOOLCHAIN:-nightly}

rustup toolchain list | grep -q "^$toolchain" || rustup toolchain install "$toolchain" --profile minimal
rustup component list --toolchain "$toolchain" --installed | grep -q '^rust-src' ||
    rustup component add rust-src --toolchain "$toolchain"
command -v clang >/dev/null || {
    echo "tsan: installing clang with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
}
bash .ci/setup.sh >/dev/null

host=$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')
export NNG_SYS_SANITIZER=thread CC=clang
export CFLAGS="${CFLAGS:-} -fsanitize=thread"
export RUSTFLAGS="${RUSTFLAGS:-} -Zsanitizer=thread"
export CARGO_TARGET_DIR="$root/target/tsan"
export TSAN_OPTIONS="${TSAN_OPTIONS:-suppressions=$root/.ci/tsan.supp halt_on_error=1 exitcode=97 second_deadlock_stack=1}"
# Bounds on waits stretched (tests/common/mod.rs): TSan slows the code 5-15x.
export NNG_TEST_TIME_SCALE=${NNG_TEST_TIME_SCALE:-5}
# The stress loops' time (tests/stress.rs), kept short under TSan.
export NNG_STRESS_SECS=${NNG_STRESS_SECS:-1}
# No backtraces: symbolising one under TSan takes seconds, which pushes the
# tests that catch panics (tests/pipe.rs, tests/aio.rs) past their bounds.
export RUST_BACKTRACE=0

if [ $# -eq 0 ]; then
    # Left out: the socket churn's memory bounds (VmRSS within 4 MiB of the
    # warm-up round), which under TSan measure its shadow memory and
    # allocator, not ours; valgrind and ASan check that test's leaks.
    set -- --test aio --test async --test context --test pipe --test drop_in_callback \
        --test callback_soundness --test stress --test adversarial_ws --test adversarial_ws2 \
        --test ipc_backlog -- --skip a_thousand_sockets_churned_from_threads_do_not_leak
fi
start=$(date +%s)
status=0
cargo "+$toolchain" test -Zbuild-std --target "$host" \
    --no-default-features --features vendored "$@" || status=$?
echo "tsan: exit $status after $(($(date +%s) - start)) s"
exit $status
