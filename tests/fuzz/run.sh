#!/usr/bin/env bash
# Builds the fuzz targets with clang in their own build tree and runs each for a bounded
# time (CI: 30 s each; longer on demand: run.sh SRC BUILD 3600 [TARGET...]). A crash, leak
# or sanitizer report fails the run and leaves the input in BUILD/crashes/TARGET/.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$2
seconds=${3:-30}
shift $(( $# >= 3 ? 3 : $# ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(admin_requests remote_requests config_yaml sgp_reader
  event_codec json_check pos_receipts)
if ! command -v clang++-14 >/dev/null; then
  echo "run.sh: clang++-14 is missing; packaging/install-deps.sh installs it" >&2
  exit 1
fi
echo "fuzz: building ${#targets[@]} targets with clang (libFuzzer, ASan, UBSan) in $build"
CC=clang-14 CXX=clang++-14 cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTOREGATE_FUZZ=ON -DSTOREGATE_BUILD_TESTS=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" --target "${targets[@]/#/fuzz_}"
# Seeds: the committed corpus, plus real inputs from the repository.
seed() {  # seed TARGET FILE...
  mkdir -p "$build/corpus/$1"
  shift_target=$1
  shift
  for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$build/corpus/$shift_target/" 2>/dev/null || true; done
}
for t in "${targets[@]}"; do
  seed "$t" "$src"/tests/fuzz/corpus/"$t"/*
done
seed config_yaml "$src"/config/*.yaml "$src"/packaging/debian/*.yaml
seed pos_receipts "$src"/config/samples/pos/*
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$build/crashes/$t"
  echo "fuzz: $t for ${seconds}s"
  if ! "$build/bin/fuzz_$t" "$build/corpus/$t" -max_total_time="$seconds" -max_len=4096 \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$build/crashes/$t/" \
      -print_final_stats=1 >"$build/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; the input is in $build/crashes/$t/"
    tail -40 "$build/$t.log"
    failed=1
  else
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$build/$t.log" | tail -2 || true
  fi
done
exit $failed
