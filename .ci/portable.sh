#!/usr/bin/env bash
# The part of .ci/run that also runs on macOS and Windows (.github/workflows/
# platforms.yml runs it on ubuntu, macos and windows-msvc; docs/PLATFORMS.md):
#
#   cargo test --workspace --features tools   over the library, every example
#       (built), the doctests and the test files this OS can compile and run;
#   cargo clippy ... -- -D warnings           over the same targets.
#
# Left out everywhere: the tests that need external peers or a browser, which
# .ci/run runs on Debian (.ci/setup.sh installs them). Left out per OS: the
# test files that do not compile or run there, each with the reason below.
# Run from any directory; bash 3.2 (macOS's) or newer, Git Bash on Windows.
#
#   .ci/portable.sh          run it all
#   .ci/portable.sh --list   print the cargo target flags and stop
#                            (PORTABLE_OS=macos|windows|linux picks another OS's list)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

case "${PORTABLE_OS:-$(uname -s)}" in
    linux | macos | windows) os="$PORTABLE_OS" ;;
    Linux) os=linux ;;
    Darwin) os=macos ;;
    MINGW* | MSYS* | CYGWIN*) os=windows ;;
    *) echo "portable: unknown OS $(uname -s)" >&2; exit 2 ;;
esac

# Need Debian's nngcat and pynng (interop, interop_api, nngcat_cli) or
# Chromium (browser_chat).
skip=" interop interop_api nngcat_cli browser_chat "
skip_examples=" "
case "$os" in
    macos)
        # glibc's malloc_trim and mallinfo2 and /proc/self/status.
        skip+="stress "
        # Counts the process's descriptors in /proc/self/fd.
        skip+="tcp_conn_leak "
        ;;
    windows)
        # glibc's malloc_trim and mallinfo2 and /proc/self/status.
        skip+="stress "
        # Counts the process's descriptors in /proc/self/fd.
        skip+="tcp_conn_leak "
        # Raises the descriptor limit with setrlimit and reads VmRSS from /proc.
        skip_examples+="bench_compare "
        ;;
esac

targets=(--lib --bins)
for f in examples/*.rs examples/*/main.rs; do
    [ -f "$f" ] || continue
    name="$(basename "$f" .rs)"
    [ "$name" = main ] && name="$(basename "$(dirname "$f")")"
    case "$skip_examples" in *" $name "*) continue ;; esac
    targets+=(--example "$name")
done
for f in tests/*.rs nng-sys/tests/*.rs; do
    name="$(basename "$f" .rs)"
    case "$skip" in *" $name "*) continue ;; esac
    targets+=(--test "$name")
done

if [ "${1:-}" = --list ]; then
    echo "${targets[*]}"
    exit 0
fi

start=$(date +%s)
echo "=== $os: left out:${skip}${skip_examples}"
echo "=== cargo test --workspace --features tools ${targets[*]}"
cargo test --workspace --features tools "${targets[@]}"
echo "=== doctests ($(( $(date +%s) - start ))s)"
cargo test --workspace --features tools --doc
echo "=== clippy ($(( $(date +%s) - start ))s)"
cargo clippy --workspace --features tools "${targets[@]}" --benches -- -D warnings
echo "portable: $os passed in $(( $(date +%s) - start ))s"
