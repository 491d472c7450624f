#!/bin/sh
# deploy/deps.sh - install the Debian packages npo needs, only those missing.
#
# Idempotent: a second run installs nothing. Runs as root, or through sudo.
# NPO_DEPS_EXTRA adds packages (e.g. "wrk nginx" for benchmarks).
set -eu

PKGS="build-essential pkg-config ca-certificates curl procps
libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libpq-dev libevent-dev
libhiredis-dev libjansson-dev libsodium-dev libqrencode-dev postgresql redis-server
poppler-utils zbar-tools jq
${NPO_DEPS_EXTRA:-}"

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps: missing packages and neither root nor sudo:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "deps: done"
