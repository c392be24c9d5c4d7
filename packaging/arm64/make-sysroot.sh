#!/usr/bin/env bash
# Builds an aarch64 sysroot for cross-compiling storegate: Debian 12's arm64 -dev
# packages (and everything they depend on) downloaded with apt and unpacked into a
# directory — not installed, so the machine's own amd64 -dev packages stay (Poco, RocksDB
# and yaml-cpp's -dev packages cannot be installed for two architectures at once).
# Usage: make-sysroot.sh SYSROOT   (idempotent: a finished sysroot is kept)
set -euo pipefail
sysroot=$(realpath -m "$1")
stamp="$sysroot/.storegate-sysroot"
packages=(libc6-dev libstdc++-12-dev libpoco-dev libssl-dev libboost-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev librocksdb-dev libcpp-httplib-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libmodbus-dev)
want="3 ${packages[*]}"  # bump the number when the unpacking below changes
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "make-sysroot: $sysroot is ready"
  exit 0
fi
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "make-sysroot: enabling the arm64 architecture for apt (downloads only)"
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
  "${sudo_cmd[@]}" apt-get update -q
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: > "$work/status"
# Everything the packages need, as if nothing were installed: an empty dpkg status.
mapfile -t debs < <(apt-get -o Dir::State::status="$work/status" install -s -y \
  --no-install-recommends "${packages[@]/%/:arm64}" nlohmann-json3-dev libcli11-dev |
  awk '/^Inst /{print $2}')
echo "make-sysroot: downloading ${#debs[@]} packages"
(cd "$work" && apt-get download -q "${debs[@]}" >/dev/null)
rm -rf "$sysroot"
mkdir -p "$sysroot"
n=0
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$sysroot"
  n=$((n + 1))
  [ $((n % 20)) -eq 0 ] && echo "make-sysroot: unpacked $n/${#debs[@]}"
done
# Absolute symlinks (/lib/aarch64-linux-gnu/libfoo.so.1) must point inside the sysroot.
find "$sysroot" -type l -lname '/*' | while read -r link; do
  ln -snf "$sysroot$(readlink "$link")" "$link"
done
# Some CMake package files name their libraries by absolute path (/usr/lib/…): make them
# relative to the sysroot the toolchain file sets.
grep -rlE '"/usr/(lib|include)/' "$sysroot/usr/lib/aarch64-linux-gnu/cmake" 2>/dev/null |
  xargs -r sed -i -E 's#"/usr/(lib|include)/#"${CMAKE_SYSROOT}/usr/\1/#g'
echo "$want" > "$stamp"
echo "make-sysroot: $sysroot ready ($n packages)"
