#!/usr/bin/env bash
# Fetch nng 2.0.0's C source without committing it.
#
# The source of record is the nng 2.0.0 release carried under `nng/` inside the
# crates.io package `nng-sys` 0.4.0+2.0.0 (another project's binding; we use only
# its copy of nng's release). vendor/lib.sh fetches it through cargo, checks the
# .crate's sha256, unpacks `nng/` into vendor/nng and links nng-sys/nng to it
# (both ignored by git).
set -euo pipefail
# shellcheck source=vendor/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fetch_crate_folder nng nng-sys "0.4.0+2.0.0" \
    2b443b35d8f5e751db0d323fb6a31f0b4b3bb81bf8a628d7a8150273b342deb7 \
    nng include/nng/nng.h
