#!/usr/bin/env bash
# Fetch mbedTLS 3.6.5 (the 3.6 LTS line) without committing it.
#
# The source of record is the complete mbedTLS 3.6.5 tree carried under
# `mbedtls/` inside the crates.io package `mbedtls-rs-sys` 0.3.1 (CMakeLists.txt,
# include/, library/, 3rdparty/, with the generated files pre-built). We use only
# that tree, built by nng-sys's own CMake step (nng-sys/build/mbedtls.rs), never
# that crate's code. vendor/lib.sh fetches it through cargo, checks the .crate's
# sha256, unpacks `mbedtls/` into vendor/mbedtls and links nng-sys/mbedtls to it
# (both ignored by git).
set -euo pipefail
# shellcheck source=vendor/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fetch_crate_folder mbedtls mbedtls-rs-sys "0.3.1" \
    ed3d6fe75492994df511a63da8de669a0c59938ada3345e3d4756aec095d2ffb \
    mbedtls include/mbedtls/build_info.h
