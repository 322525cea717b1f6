#!/usr/bin/env bash
# Prepares the wine prefix $WINEPREFIX (64-bit only; Debian 12 ships no
# 32-bit wine here) for running Rust programs built for x86_64-pc-windows-gnu:
# creates it when it is not there yet, and installs .ci/cross/bcryptprimitives.c
# when wine has no bcryptprimitives.dll (wine < 9). Idempotent; quiet.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${WINEPREFIX:?set WINEPREFIX to the prefix to prepare}"
export WINEPREFIX WINEARCH=win64 WINEDEBUG="${WINEDEBUG:--all}"
sys32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    # No display: wineboot's window-less errors are expected and not shown.
    DISPLAY= wineboot -i >"$WINEPREFIX.boot.log" 2>&1 || {
        cat "$WINEPREFIX.boot.log" >&2
        exit 1
    }
    wineserver -w
    rm -f "$WINEPREFIX.boot.log"
fi
if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -o "$sys32/bcryptprimitives.dll" \
        "$here/bcryptprimitives.c" -ladvapi32
fi
