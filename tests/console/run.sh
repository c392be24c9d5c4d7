#!/usr/bin/env bash
# Runs the console's end-to-end test: installs playwright-core (npm registry, pinned by
# package-lock.json) into the build tree once, then drives Debian's Chromium.
# Usage: run.sh SOURCE_DIR BUILD_DIR STOREGATED PLUGIN_DIR
set -euo pipefail
src=$1 build=$2
work="$build/console-e2e"
mkdir -p "$work"
cp "$src/tests/console/package.json" "$src/tests/console/package-lock.json" \
   "$src/tests/console/console.test.mjs" "$work/"
if [ ! -x /usr/bin/chromium ]; then
  echo "console e2e: /usr/bin/chromium is missing: run packaging/install-deps.sh" >&2
  exit 1
fi
if [ ! -d "$work/node_modules/playwright-core" ] ||
   ! cmp -s "$work/package-lock.json" "$work/node_modules/.package-lock.json.installed"; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$work/package-lock.json" "$work/node_modules/.package-lock.json.installed"
fi
rm -rf "$work/artifacts"
STOREGATED=$3 PLUGIN_DIR=$4 SOURCE_DIR=$src ARTIFACTS="$work/artifacts" \
  node "$work/console.test.mjs"
