#!/usr/bin/env bash
# Runs the libFuzzer targets in fuzz/ one after another, each for SECONDS
# (default 25: the short CI run; `bash .ci/fuzz.sh 600` is the 10-minute run).
#
#   bash .ci/fuzz.sh [SECONDS] [TARGET...]     (targets default to all)
#
# nng's C code is built with clang and instrumented for libFuzzer coverage and
# AddressSanitizer (NNG_SYS_SANITIZER=address,fuzzer-no-link), like the Rust
# side (cargo fuzz's default -Zsanitizer=address). Installs clang and
# cargo-fuzz when missing. Seeds come from fuzz/corpus/<t>
# (read only); what a run discovers goes to fuzz/target/corpus/<t>, kept
# between runs; a finding lands in fuzz/artifacts/<t>/ and fails the script.
# Each run's libFuzzer log is fuzz/target/logs/<t>.log; one summary line per
# target is printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs="${1:-25}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(message url options tcp_peer)

# cargo fuzz needs unstable flags (-Zsanitizer): nightly if installed, else the
# stable toolchain with RUSTC_BOOTSTRAP=1 (its sanitizer runtimes ship with it).
if cargo +nightly --version >/dev/null 2>&1; then
    cargo=(cargo +nightly)
else
    echo "fuzz: no nightly toolchain; $(rustc --version) with RUSTC_BOOTSTRAP=1" >&2
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo)
fi

# clang with its sanitizer runtimes (C instrumentation for libFuzzer).
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.a >/dev/null 2>&1; then
    if command -v apt-get >/dev/null; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "fuzz: installing clang with apt-get" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang >/dev/null
        if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.a >/dev/null 2>&1; then
            v=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
            DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "libclang-rt-$v-dev" >/dev/null
        fi
    else
        echo "fuzz: please install clang and its compiler-rt sanitizer runtimes" >&2
        exit 1
    fi
fi

command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

export CC=clang CXX=clang++ NNG_SYS_SANITIZER="address,fuzzer-no-link"
"${cargo[@]}" fuzz build # every target, once

mkdir -p fuzz/target/logs
status=0
for t in "${targets[@]}"; do
    work="fuzz/target/corpus/$t"
    log="fuzz/target/logs/$t.log"
    mkdir -p "$work"
    start=$(date +%s)
    if nice -n 10 "${cargo[@]}" fuzz run "$t" "$work" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -timeout=60 -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result="FINDING (see $log and fuzz/artifacts/$t/)"
        status=1
        grep -v -E '^#[0-9]+|^INFO:' "$log" | tail -n 40 >&2
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
    corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 || true)
    echo "fuzz $t: $result; ${secs}s budget, $(( $(date +%s) - start ))s wall; ${execs:-?} execs, ${rate:-?} exec/s; ${cov:-?}; ${corpus:-?}"
done
exit "$status"
