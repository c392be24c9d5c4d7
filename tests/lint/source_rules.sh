#!/usr/bin/env bash
# The layout and habit rules a compiler does not check, over the sources in the repository:
#   1. a plugin includes only the SDK and plugin code (never the core);
#   2. the core never includes plugin code;
#   3. the admin layer reaches the running gateway only through admin/gateway.hpp (never
#      daemon/, so changes go through the control plane and there is no include cycle);
#   4. no status is dropped with a bare cast to void: use sdk::ignore / ignoreResult /
#      Status::ignoreError with the reason (C fixtures' unused parameters are not statuses).
# Prints every violation with file:line and what to do; exits 1 if there is any.
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
failures=0
report() {
  echo "$1"
  failures=$((failures + 1))
}

# A quoted include resolves somewhere under the given folder (by path suffix).
resolves_under() {
  local folder=$1 header=$2
  [ -n "$(find "$folder" -path "*/$header" -print -quit)" ]
}

while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  header=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$rest")
  if ! resolves_under plugins "$header" && resolves_under core "$header"; then
    report "$file:$line: a plugin includes core header \"$header\"; use only <storegate/...> from sdk/ and plugin code"
  fi
done < <(grep -rnE '^\s*#include "' plugins --include='*.cpp' --include='*.hpp' --include='*.h' --include='*.c')

while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  header=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$rest")
  if [[ $header == plugins/* ]] || { ! resolves_under core "$header" && resolves_under plugins "$header"; }; then
    report "$file:$line: the core includes plugin header \"$header\"; move what both need into core/ or sdk/"
  fi
done < <(grep -rnE '^\s*#include "' core --include='*.cpp' --include='*.hpp')

while IFS= read -r hit; do
  report "$hit: the admin layer includes the daemon; reach it through admin/gateway.hpp"
done < <(grep -rnE '^\s*#include "daemon/' core/admin)

while IFS= read -r hit; do
  report "$hit: a status dropped with (void); say why with sdk::ignore(status, \"because ...\") or ignoreResult"
done < <(grep -rnE '\(void\)\s*!?\s*[A-Za-z_:]+[A-Za-z0-9_:.>-]*\(' core plugins sdk tools \
  --include='*.cpp' --include='*.hpp' 2>/dev/null)

if [ "$failures" -gt 0 ]; then
  echo "source rules: $failures violation(s)"
  exit 1
fi
echo "source rules: plugins include only sdk/ and plugin code, the core no plugin code, admin not the daemon, no (void) casts"
