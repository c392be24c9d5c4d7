#!/usr/bin/env bash
# The .deb packages on this machine, as an integrator would use them: build them (twice,
# the second as an upgrade), install, check the unit with systemd-analyze, start the
# daemon as its user (systemd is not PID 1 here), health and plugins through the API,
# upgrade with the config and the buffer kept, purge. Needs root: exit 77 (skipped) if not.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "deb test: needs root for dpkg; skipped"; exit 77; }
if dpkg-query -W -f='${Status}' storegate 2>/dev/null | grep -q installed; then
  echo "deb test: a storegate package is installed on this machine already; not touching it" >&2
  exit 1
fi
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  dpkg --purge storegate-dev storegate-camera storegate >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "deb test: FAILED: $*" >&2; [ -f "$work/daemon.log" ] && tail -20 "$work/daemon.log" >&2; exit 1; }
step() { echo "deb test: $*"; }

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
step "building the packages $version and ${version}+1 (cpack)"
(cd "$build" && cpack -G DEB -B "$work/v1" >/dev/null)
(cd "$build" && cpack -G DEB -B "$work/v2" -D CPACK_PACKAGE_VERSION="${version}+1" >/dev/null)
ls "$work"/v1/*.deb | sed 's#.*/#  #'
for p in storegate storegate-camera storegate-dev; do
  ls "$work"/v1/${p}_*.deb >/dev/null || fail "no $p package"
done

step "installing"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$work"/v1/storegate_*.deb \
  "$work"/v1/storegate-camera_*.deb >/dev/null
getent passwd storegate >/dev/null || fail "no storegate system user"
[ "$(stat -c %U:%a /var/lib/storegate)" = storegate:750 ] || fail "/var/lib/storegate: $(stat -c %U:%a /var/lib/storegate)"
[ -f /etc/storegate/trusted-keys/storegate-release.pub ] || fail "no release key in the trust store"
for so in /usr/lib/storegate/plugins/*.so; do
  [ -f "$so.sgm" ] || fail "$so is not signed"
done
[ -f /usr/lib/storegate/plugins/camera_footfall.so ] || fail "camera package has no camera_footfall"
dpkg -L storegate | grep -q camera_footfall && fail "the OpenCV plugins are in the base package"
grep -q '^/etc/storegate/storegate.yaml$' /var/lib/dpkg/info/storegate.conffiles || fail "config is no conffile"
systemd-analyze verify /lib/systemd/system/storegate.service || fail "systemd-analyze verify"

# The packaged config, plus a source so the buffer has events to keep across the upgrade.
cat >> /etc/storegate/storegate.yaml <<'YAML'
  - name: greeter   # added by the integrator
    plugin: hello
    config: {interval: 50ms}
YAML
start_daemon() {
  # setpriv execs (runuser would stay as a root parent), as systemd's User= does.
  setpriv --reuid storegate --regid storegate --init-groups /usr/bin/storegated \
    --config /etc/storegate/storegate.yaml \
    >"$work/daemon.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -fs http://127.0.0.1:8470/v1/health >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "the daemon exited"
    sleep 0.2
  done
  fail "no health answer within 20 s"
}
stop_daemon() { kill "$pid"; wait "$pid" || true; pid=; }

step "starting the daemon as the storegate user"
start_daemon
[ "$(ps -o user= -p "$pid")" = storegate ] || fail "runs as $(ps -o user= -p "$pid")"
token=$(grep -o 'sg_[A-Za-z0-9_]*' "$work/daemon.log" | head -1)
[ -n "$token" ] || fail "no first admin token printed"
api() { curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:8470$1"; }
plugins=$(api /v1/plugins)
for p in local_export greeter; do
  grep -q "\"name\":\"$p\"" <<<"$plugins" || fail "$p missing: $plugins"
done
grep -q '"state":"failed"' <<<"$plugins" && fail "a plugin failed: $plugins"

step "a vendor's plugin: the template built against storegate-dev, packed, signed, verified"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$work"/v1/storegate-dev_*.deb >/dev/null
cp -r /usr/share/storegate/plugin-template "$work/tpl"
{ cmake -S "$work/tpl" -B "$work/tpl/build" -G Ninja && cmake --build "$work/tpl/build"; } \
  >"$work/tpl.log" 2>&1 || fail "the template does not build against storegate-dev: $(tail -5 "$work/tpl.log")"
(cd "$work" && storegatectl plugin keygen vendor && storegatectl plugin pack tpl/build/my_plugin.so my.sgp &&
  storegatectl plugin sign my.sgp --key vendor.key &&
  storegatectl plugin verify my.sgp --key vendor.pub) >"$work/vendor.log" 2>&1 ||
  fail "pack/sign/verify: $(cat "$work/vendor.log")"
# Not trusted by this router (its key is not in /etc/storegate/trusted-keys): refused.
code=$(curl -s -o "$work/up.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
  --data-binary @"$work/my.sgp" http://127.0.0.1:8470/v1/plugins/greeter/upload)
{ [ "$code" = 422 ] && grep -q "does not trust" "$work/up.json"; } ||
  fail "an untrusted package was not refused: $code $(cat "$work/up.json")"
sleep 1
seq1=$(api /v1/status | sed -n 's/.*"last_sequence":\([0-9]*\).*/\1/p')
[ "${seq1:-0}" -gt 5 ] || fail "no events buffered (last_sequence $seq1)"
stop_daemon

step "upgrading to ${version}+1 (config and buffer kept)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold \
  "$work"/v2/storegate_*.deb "$work"/v2/storegate-camera_*.deb >/dev/null
[ "$(dpkg-query -W -f='${Version}' storegate)" = "${version}+1" ] || fail "not upgraded"
grep -q "added by the integrator" /etc/storegate/storegate.yaml || fail "the config was replaced"
start_daemon
token=$(grep -o 'sg_[A-Za-z0-9_]*' "$work/daemon.log" | head -1 || true)
[ -z "$token" ] || fail "a new first token was printed: the tokens file was lost"
stop_daemon
# The buffer kept its events and numbering: the upgraded daemon opened it where it was.
seq2=$(grep '"buffer opened"' "$work/daemon.log" | grep -o '"last_sequence":"[0-9]*"' |
  head -1 | tr -dc 0-9 || true)
[ "${seq2:-0}" -ge "$seq1" ] || fail "the buffer restarted at $seq2 (was $seq1)"

step "purging"
dpkg --purge storegate-dev storegate-camera storegate >/dev/null
[ ! -e /etc/storegate ] || fail "/etc/storegate left behind"
[ ! -e /var/lib/storegate ] || fail "/var/lib/storegate left behind"
getent passwd storegate >/dev/null && fail "the storegate user was left behind"
echo "deb test: passed"
