#!/usr/bin/env bash
# libclang, for the two builds that run bindgen: nng-sys's `bindgen` feature
# (CI regenerates the shipped bindings and compares them) and `tls-mbedtls-2`
# (mbedtls-sys-auto runs bindgen). The default build does not need it, so
# .ci/setup.sh does not install it. The check is real: the library is loaded
# and asked for its version.
set -euo pipefail

loads() {
    python3 - <<'PY'
import ctypes, ctypes.util, subprocess, sys
names = set()
for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines():
    name = line.strip().split(" ", 1)[0]
    if name.startswith("libclang.so") or (name.startswith("libclang-") and ".so" in name and "cpp" not in name):
        names.add(line.rsplit("=> ", 1)[-1])
import glob
names.update(p for p in glob.glob("/usr/lib/llvm-*/lib/libclang.so*"))
for path in sorted(names):
    try:
        lib = ctypes.CDLL(path)
        lib.clang_getClangVersion  # the symbol bindgen's clang-sys calls first
        print(path)
        sys.exit(0)
    except (OSError, AttributeError):
        pass
sys.exit(1)
PY
}

if lib="$(loads)"; then
    echo "install-libclang: $lib loads"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libclang-dev >/dev/null
lib="$(loads)" || { echo "install-libclang: libclang-dev installed but no libclang loads" >&2; exit 1; }
echo "install-libclang: installed libclang-dev; $lib loads"
