#!/usr/bin/env bash
# Installs what tests/netns_faults.rs needs: iproute2's `ip` with network
# namespaces and veth pairs. Idempotent; checks the real thing (`ip netns
# list` runs, and a namespace can be created and deleted), so it also fails
# loudly where namespaces are not allowed (not root, no CAP_SYS_ADMIN).
set -euo pipefail

if ! command -v ip >/dev/null 2>&1 || ! ip netns list >/dev/null 2>&1; then
    echo "install-netns: installing iproute2"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
fi
ip netns list >/dev/null || { echo "install-netns: \`ip netns list\` fails" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
    echo "install-netns: the netns tests need root (network namespaces, veth pairs)" >&2
    exit 1
fi
ns="nngrs-install-check-$$"
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip -n "$ns" link add "nfchk$$a" type veth peer name "nfchk$$b"
echo "install-netns: ok ($(ip -V))"
