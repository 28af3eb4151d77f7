#!/usr/bin/env bash
# Installs the Debian packages the tests and the service need, when any is missing and this
# user may install them (root, or passwordless sudo). Safe to run again: it does nothing when
# everything is there.
set -euo pipefail
packages=(postgresql redis-server libhiredis-dev libssh2-1-dev libzstd-dev libjemalloc-dev openssh-server zstd wrk curl git python3 chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else
  echo "Cannot install ${missing[*]}: run as root or install them yourself (apt-get install -y ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
