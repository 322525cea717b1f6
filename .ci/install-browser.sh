#!/usr/bin/env bash
# Installs headless Chromium and chromedriver (Debian packages `chromium` and
# `chromium-driver`) for tests/browser_chat.rs. Idempotent: does nothing when
# both are already on PATH. Fails loudly when they cannot be installed.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
    echo "install-browser: $(chromium --version 2>/dev/null || echo chromium) and $(chromedriver --version 2>/dev/null | head -n1) already installed"
    exit 0
fi

if ! have apt-get; then
    echo "install-browser: ERROR: chromium/chromedriver missing and apt-get is not available;" >&2
    echo "install-browser: install Chromium and a matching chromedriver by hand." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if have sudo; then SUDO="sudo"; else
        echo "install-browser: ERROR: need root (or sudo) to apt-get install chromium chromium-driver" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core

for bin in chromium chromedriver; do
    if ! have "$bin"; then
        echo "install-browser: ERROR: '$bin' still not on PATH after apt-get install" >&2
        exit 1
    fi
done
echo "install-browser: installed $(chromium --version) / $(chromedriver --version | head -n1)"
