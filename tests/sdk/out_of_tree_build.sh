#!/usr/bin/env bash
# A vendor's path, end to end: install the SDK to a prefix, build the plugin template out
# of tree against it with find_package(StoregateSDK), audit its exports, and load it in
# the real daemon. Usage: out_of_tree_build.sh <build dir> <source dir> <storegated>
set -euo pipefail
build_dir=$1 src_dir=$2 storegated=$3
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== install the SDK into $work/prefix"
cmake --install "$build_dir" --prefix "$work/prefix" --component sdk > "$work/install.log"
test -f "$work/prefix/include/storegate/plugin.h"
test -f "$work/prefix/lib/cmake/StoregateSDK/StoregateSDKConfig.cmake"
test -d "$work/prefix/share/storegate/plugin-template"

echo "== build the template out of tree"
cp -r "$work/prefix/share/storegate/plugin-template" "$work/vendor"
cmake -S "$work/vendor" -B "$work/vendor/build" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/vendor/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
so="$work/vendor/build/my_plugin.so"
test -f "$so"

echo "== audit exports"
exports=$(nm -D --defined-only "$so" | awk '{print $3}')
if [ "$exports" != "storegate_plugin_query" ]; then
  echo "unexpected exports: $exports"; exit 1
fi

echo "== load it in the daemon"
cat > "$work/storegate.yaml" <<YAML
store_id: vendor-lab
data_dir: data
plugin_dirs: [vendor/build]
log: {file: daemon.log}
plugins:
  - name: shelf_7
    plugin: my_plugin
    config: {sensor_id: shelf-7, interval: 100ms}
YAML
"$storegated" --check-config --config "$work/storegate.yaml"
"$storegated" --config "$work/storegate.yaml" > "$work/stderr.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q 'msg="instance running" instance=shelf_7 plugin=my_plugin' "$work/daemon.log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'msg="instance running" instance=shelf_7 plugin=my_plugin version=0.1.0' "$work/daemon.log" || {
  echo "the daemon did not run the vendor plugin:"; cat "$work/stderr.log"; exit 1; }
kill -TERM "$pid"
wait "$pid"
pid=""
grep -q 'msg="stopped cleanly"' "$work/daemon.log"
echo "out-of-tree plugin built against the installed SDK and ran in storegated"
