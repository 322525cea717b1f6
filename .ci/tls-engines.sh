#!/usr/bin/env bash
# The TLS engines that replace the default mbedTLS 3.6: each passes the tls
# test file and the interop tests against real peers (C nngcat built with the
# same engine, Debian's nngcat, pynng, openssl s_client). The default engine
# is covered by the test command of CONTRIBUTING.md.
#   tls-openssl    OpenSSL 3.5 LTS built from source by openssl-src
#   tls-mbedtls-2  mbedTLS 2.28 from mbedtls-sys-auto (needs libclang)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/install-libclang.sh
for engine in tls-openssl tls-mbedtls-2; do
    t0=$(date +%s)
    echo "tls-engines: $engine"
    cargo test -q --features "tools,$engine" --test tls --test interop_api
    cargo test -q -p nng2-sys --features "tools,$engine" --test ffi
    echo "tls-engines: $engine passed in $(( $(date +%s) - t0 ))s"
done
