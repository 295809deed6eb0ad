#!/usr/bin/env bash
# Installs every build and run dependency of Brankas from Debian 12 packages.
# Nothing is downloaded from anywhere else; nothing is vendored.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  librocksdb-dev rocksdb-tools
  libsodium-dev
  libgoogle-perftools-dev
  libboost1.81-dev
  libssl-dev openssl
  libcereal-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev
  libgtest-dev libgmock-dev
  python3 curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
