#!/usr/bin/env bash
# nng-sys ships its bindings (nng-sys/generated/bindings.rs) so the default
# build needs no libclang. This regenerates them with bindgen from the vendored
# headers (feature `bindgen`, libclang from .ci/install-libclang.sh) and fails
# when they differ from the shipped copy. To update the copy after a header
# change: NNG_SYS_BLESS_BINDINGS=1 cargo build -p nng2-sys --features bindgen
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/install-libclang.sh
NNG_SYS_CHECK_BINDINGS=1 cargo build -q -p nng2-sys --features bindgen
echo "bindings: bindgen's output equals nng-sys/generated/bindings.rs ($(wc -l <nng-sys/generated/bindings.rs) lines)"
