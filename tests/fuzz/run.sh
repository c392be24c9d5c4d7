#!/usr/bin/env bash
# Builds the fuzz targets with clang in their own build tree and runs each for a bounded
# time (CI: 30 s; longer on demand: run.sh SRC BUILD 3600). A crash, leak or sanitizer
# report fails the run and leaves the input in BUILD/crashes/.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$2
seconds=${3:-30}
if ! command -v clang++-14 >/dev/null; then
  echo "run.sh: clang++-14 is missing; packaging/install-deps.sh installs it" >&2
  exit 1
fi
echo "fuzz: building with clang (libFuzzer, ASan, UBSan) in $build"
CC=clang-14 CXX=clang++-14 cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTOREGATE_FUZZ=ON -DSTOREGATE_BUILD_TESTS=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" --target fuzz_admin_requests
mkdir -p "$build/crashes" "$build/corpus"
cp -n "$src"/tests/fuzz/corpus/admin_requests/* "$build/corpus/" 2>/dev/null || true
echo "fuzz: admin_requests for ${seconds}s"
"$build/bin/fuzz_admin_requests" "$build/corpus" -max_total_time="$seconds" -max_len=4096 \
  -artifact_prefix="$build/crashes/" -print_final_stats=1 2>&1 | tail -15
