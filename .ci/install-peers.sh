#!/usr/bin/env bash
# Installs the interop peers the tests in tests/interop*.rs need:
#   - Debian's nngcat (package nng-utils, nng 1.5.2) as /usr/bin/nngcat
#   - pynng 0.9.0 (PyPI; its wheel bundles its own nng 1.x with mbedTLS 3.6,
#     so it speaks TLS 1.3) for python3
# The C nngcat built from the vendored nng 2.0 source comes from the crate
# feature `tools` (cargo builds it). Idempotent; fails loudly on any error.
set -euo pipefail

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo "$@"
        else
            echo "install-peers: need root for: $*" >&2
            exit 1
        fi
    else
        "$@"
    fi
}

if [ -x /usr/bin/nngcat ] && dpkg -s nng-utils >/dev/null 2>&1; then
    echo "install-peers: nng-utils already installed"
else
    echo "install-peers: installing nng-utils (Debian nngcat)"
    need_root env DEBIAN_FRONTEND=noninteractive apt-get update
    need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y nng-utils
fi
test -x /usr/bin/nngcat || { echo "install-peers: /usr/bin/nngcat missing after install" >&2; exit 1; }

PY="${PYTHON:-python3}"
PYNNG="0.9.0"
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "install-peers: installing python3"
    need_root env DEBIAN_FRONTEND=noninteractive apt-get update
    need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-pip
fi
if [ "$("$PY" -c 'import pynng; print(pynng.__version__)' 2>/dev/null)" = "$PYNNG" ]; then
    echo "install-peers: pynng already installed"
else
    if ! "$PY" -m pip --version >/dev/null 2>&1; then
        echo "install-peers: installing pip for $PY"
        need_root env DEBIAN_FRONTEND=noninteractive apt-get update
        need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-pip
    fi
    echo "install-peers: installing pynng $PYNNG with $PY -m pip"
    # A Debian system Python refuses plain pip installs (PEP 668); the peer
    # only lives on test machines, so fall back to overriding that.
    "$PY" -m pip install --quiet "pynng==$PYNNG" \
        || "$PY" -m pip install --quiet --break-system-packages "pynng==$PYNNG"
fi
"$PY" -c 'import pynng; print("install-peers: pynng", pynng.__version__)'
echo "install-peers: done"
