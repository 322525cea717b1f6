#!/usr/bin/env bash
# What a machine that never had libclang sees: a clone of HEAD, built cold
# (empty target folder, default features) in a mount namespace where every
# libclang shared library the system has is hidden (bind-mounted over by
# /dev/null), running the main-job command of CONTRIBUTING.md there. Fails if the
# default build needs anything .ci/setup.sh does not install. Needs root
# (unshare -m), as CI and the development machines have.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-local . "$work/repo"
git -C "$work/repo" checkout --quiet "$(git rev-parse HEAD)"

# Every libclang shared object (not libclang-cpp, the C++ library bindgen
# does not use, nor libclang_rt, the sanitizer runtimes), resolved through links.
mapfile -t hide < <(find / -xdev \( -path /proc -o -path "$work" \) -prune -o \
    \( -name 'libclang.so*' -o -name 'libclang-[0-9]*.so*' \) -print 2>/dev/null \
    | xargs -r readlink -f | sort -u)
echo "fresh-machine: hiding ${#hide[@]} libclang libraries: ${hide[*]:-none}"

start=$(date +%s)
unshare -m bash -euo pipefail -s "$work" "${hide[@]}" <<'INNER'
work="$1"; shift
for lib in "$@"; do mount --bind /dev/null "$lib"; done
# The hiding is real: no libclang loads in here.
if python3 - "$@" <<'PY'
import ctypes, sys
for p in sys.argv[1:]:
    try:
        ctypes.CDLL(p); sys.exit(0)
    except OSError:
        pass
sys.exit(1)
PY
then
    echo "fresh-machine: a libclang still loads inside the namespace" >&2
    exit 1
fi
cd "$work/repo"
export CARGO_TARGET_DIR="$work/target"
# The main job of CONTRIBUTING.md, exactly.
bash .ci/setup.sh && cargo run --release --example tls_reqrep | tee "$work/out.txt"
grep -qx "ok" "$work/out.txt"
grep -q "TLS engine: mbed (mbed TLS 3.6" "$work/out.txt" || grep -qi "TLS engine: mbed.*3\.6" "$work/out.txt"
INNER
echo "fresh-machine: cold default build and the main job passed without libclang in $(( $(date +%s) - start ))s"
