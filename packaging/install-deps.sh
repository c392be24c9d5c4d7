#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and running the demo need.
# Idempotent: packages already present are skipped, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libpoco-dev libssl-dev libboost-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev
  librocksdb-dev libcpp-httplib-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev
  libfuse3-dev  # the power-cut filesystem under tests/powercut (mounted as root; skipped otherwise)
  mosquitto mosquitto-clients openssl
  libopencv-dev opencv-data opencv-doc libzxing-dev libmodbus-dev
  binutils clang-14 libclang-rt-14-dev
  chromium  # the console's end-to-end tests (driven by playwright-core from npm)
  curl systemd file  # the .deb test: API checks, systemd-analyze verify; the arm64 job
)
# Node.js for those tests: Debian's, unless the machine has one already.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo_cmd=(sudo); else
    echo "install-deps: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
