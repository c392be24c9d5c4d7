#!/usr/bin/env bash
# Cross-builds storegated, storegatectl and the plugins (all but the OpenCV ones) for
# aarch64, then runs the unit tests, the ABI tests and the daemon itself under qemu-user.
# Skip it with STOREGATE_SKIP_ARM64=1.   Usage: packaging/arm64/cross-build.sh [BUILD_DIR]
set -euo pipefail
if [ "${STOREGATE_SKIP_ARM64:-0}" = 1 ]; then
  echo "arm64: skipped (STOREGATE_SKIP_ARM64=1)"
  exit 0
fi
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$src/build/arm64}")
sysroot="$build-sysroot"
start=$(date +%s)

tools=(crossbuild-essential-arm64 qemu-user)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "arm64: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
"$src/packaging/arm64/make-sysroot.sh" "$sysroot"

plugins=(hello file_sink pos_file pos_sql pos_webhook platform_mqtt platform_http member_roster
  sensor_mqtt sensor_modbus)
export STOREGATE_ARM64_SYSROOT="$sysroot"
# -O2: GCC 12's -O3 warns falsely (-Wrestrict) inside libstdc++'s string code.
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTOREGATE_WERROR=ON \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DCMAKE_TOOLCHAIN_FILE="$src/packaging/arm64/aarch64-linux-gnu.cmake" \
  -DSTOREGATE_ARM64_SYSROOT="$sysroot" -DSTOREGATE_WITH_OPENCV=OFF >/dev/null
echo "arm64: building (a few minutes on 2 cores)"
if ! cmake --build "$build" --target storegated storegatectl unit_tests abi_tests \
  storegate_fixtures "${plugins[@]}" >"$build/build.log" 2>&1; then
  grep -E "error|FAILED" "$build/build.log" | head -20 >&2
  echo "arm64: the build failed (whole log: $build/build.log)" >&2
  exit 1
fi

file "$build/bin/storegated" | grep -q "ARM aarch64" ||
  { echo "arm64: storegated is not an aarch64 binary" >&2; exit 1; }
run() { qemu-aarch64 -L "$sysroot" "$@"; }
echo "arm64: running under qemu-aarch64"
run "$build/bin/storegated" --version
# Every plugin loads into the arm64 daemon.
# No config file at all: no signature policy applies (one that does not load refuses).
listed=$(run "$build/bin/storegated" --list-plugins --config "$build/no-config.yaml" 2>&1 || true)
for p in "${plugins[@]}"; do
  grep -q "^$p" <<<"$listed" || { echo "arm64: plugin $p did not load: $listed" >&2; exit 1; }
done
# Tests that need a Mosquitto broker or other host programs are for the native build.
# Death tests re-execute the test binary, which user-mode qemu cannot do without binfmt.
(cd "$build" && run bin/unit_tests --gtest_brief=1 --gtest_filter=-*DeathTest*)
(cd "$build" && run bin/abi_tests --gtest_brief=1 --gtest_filter=-*SymbolAudit*)
echo "arm64: passed in $(( $(date +%s) - start )) s"
