#!/usr/bin/env bash
# Cargo's runner for x86_64-pc-windows-gnu (.cargo/config.toml): runs one
# Windows program under wine and exits with its status. With $WINEPREFIX set
# (.ci/cross-windows.sh prepares one per run) that prefix is used; without, a
# throwaway prefix is made in a fresh temp dir (about 10 s) and removed after.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export WINEDEBUG="${WINEDEBUG:--all}" WINEARCH=win64
own=""
if [ -z "${WINEPREFIX:-}" ]; then
    own="$(mktemp -d -t "nng-wine.$$.XXXXXX")"
    export WINEPREFIX="$own/prefix"
    trap 'wineserver -k >/dev/null 2>&1 || true; rm -rf "$own"' EXIT
fi
bash "$here/wine-prefix.sh"
# Debian installs the 64-bit loader as /usr/lib/wine/wine64; its `wine`
# wrapper also works but first complains that 32-bit wine is missing.
wine=wine64
command -v wine64 >/dev/null || { [ -x /usr/lib/wine/wine64 ] && wine=/usr/lib/wine/wine64; } || wine=wine
set +e
"$wine" "$@"
rc=$?
set -e
exit "$rc"
