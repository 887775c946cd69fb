#!/usr/bin/env bash
# Builds the .deb twice (two versions), installs the first with `dpkg --root` into a copy of the
# Debian bookworm root that test/ops/real-systemd.sh caches (maintainer scripts run chrooted
# there), checks files, the flashd account, the conffile and `systemd-analyze verify`/security of
# the installed unit, runs the installed daemon once as flashd, upgrades to the second build
# (edited config and store kept, the daemon starts on the old store), removes (config and store
# kept) and purges (both gone). Skips (exit 0) only when the host cannot: not root, no dpkg-deb,
# or no cached root file system (run test/ops/real-systemd.sh first; it makes one).
#   FLASHD_CI_CACHE  where the pristine root is kept (default /var/cache/flashd-ci); never modified
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
BASE=${FLASHD_CI_CACHE:-/var/cache/flashd-ci}/bookworm
START=$SECONDS
say() { echo "package: $*" >&2; }
skip() { say "SKIPPED: $*"; exit 0; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (dpkg --root runs maintainer scripts in a chroot)"
command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
[ -x "$BASE/lib/systemd/systemd" ] || skip "no cached Debian root at $BASE (test/ops/real-systemd.sh makes it)"

WORK=$(mktemp -d /var/tmp/flashd-pkg.XXXXXX)
ROOT=$WORK/root
DAEMON=
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null || true
  umount "$ROOT/proc" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export FLASHD_DEB_OUT=$WORK/debs FLASHD_DEB_COMPRESS="-Zgzip -z1"
DEB1=$(FLASHD_DEB_VERSION=0.0.1~ci1 packaging/build-deb.sh | tail -n1)
DEB2=$(FLASHD_DEB_NO_BUILD=1 FLASHD_DEB_VERSION=0.0.1~ci2 packaging/build-deb.sh | tail -n1)
say "built $(basename "$DEB1") and $(basename "$DEB2") after $((SECONDS - START)) s"

problems=()
check() { "$@" || problems+=("$*"); }
cp -a --reflink=auto "$BASE" "$ROOT"
mount -t proc proc "$ROOT/proc"
in_root() { chroot "$ROOT" "$@"; }

# The root has no Node: a stand-in `nodejs` package carrying this machine's node, at its version,
# so flashd's Depends: resolves as it would against the distribution's nodejs.
NODEVER=$(node -p process.versions.node)
mkdir -p "$WORK/nodejs/DEBIAN" "$WORK/nodejs/usr/bin"
install -m 0755 "$(command -v node)" "$WORK/nodejs/usr/bin/node"
printf 'Package: nodejs\nVersion: %s-ci\nArchitecture: %s\nMaintainer: ci <ci@localhost>\nDescription: this machine'"'"'s node, for the package test\n' \
  "$NODEVER" "$(dpkg --print-architecture)" >"$WORK/nodejs/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip --build "$WORK/nodejs" "$WORK/nodejs.deb" >/dev/null
dpkg --root="$ROOT" --force-script-chrootless -i "$WORK/nodejs.deb" >/dev/null 2>&1 || dpkg --root="$ROOT" -i "$WORK/nodejs.deb" >/dev/null

# Install.
dpkg --root="$ROOT" -i "$DEB1" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; fail "dpkg -i $(basename "$DEB1")"; }
for f in /opt/flashd/dist/src/main.js /opt/flashd/dist/dashboard /opt/flashd/firmware-images/manifest.json.sig \
  /opt/flashd/node_modules/better-sqlite3 /opt/flashd/node_modules/unix-dgram /lib/systemd/system/flashd.service \
  /usr/lib/sysusers.d/flashd.conf /usr/lib/tmpfiles.d/flashd.conf /lib/udev/rules.d/99-flashd-jigs.rules /etc/flashd/flashd.json; do
  check test -e "$ROOT$f"
done
check test ! -e "$ROOT/opt/flashd/node_modules/vitest"
check test "$(readlink "$ROOT/usr/bin/flashctl")" = /opt/flashd/dist/src/flashctl/main.js
check grep -qx /etc/flashd/flashd.json "$ROOT/var/lib/dpkg/info/flashd.conffiles"
check test "$(in_root id -nG flashd)" = "flashd dialout"
check test "$(in_root stat -c '%U %a' /var/lib/flashd)" = "flashd 750"
check test -L "$ROOT/etc/systemd/system/multi-user.target.wants/flashd.service"
in_root flashctl --help >/dev/null 2>&1 || problems+=("flashctl --help fails in the installed root")

unit=$ROOT/lib/systemd/system/flashd.service
verify=$(systemd-analyze verify --root="$ROOT" flashd.service 2>&1 || true)
grep -q 'flashd.service' <<<"$verify" && problems+=("systemd-analyze verify: $verify")
score=$(systemd-analyze security --offline=true --threshold=20 "$unit" 2>/dev/null | sed -nE 's/.*Overall exposure level for flashd\.service: ([0-9.]+).*/\1/p')
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.5) }' || problems+=("exposure of the installed unit is '$score', not <= 1.5")

# The installed daemon, as the unit runs it (user flashd, the packaged config), until it is ready.
run_installed() {
  : >"$ROOT/var/tmp/flashd.log"
  chroot --userspec=flashd:flashd "$ROOT" env -i FLASHD_PORT=0 /usr/bin/node /opt/flashd/dist/src/main.js --config /etc/flashd/flashd.json >"$ROOT/var/tmp/flashd.log" 2>&1 &
  DAEMON=$!
  for _ in $(seq 120); do
    grep -q '"flashd ready"' "$ROOT/var/tmp/flashd.log" && break
    kill -0 "$DAEMON" 2>/dev/null || break
    sleep 0.5
  done
  local ok=0
  grep -q '"flashd ready"' "$ROOT/var/tmp/flashd.log" || { ok=1; tail -n 20 "$ROOT/var/tmp/flashd.log" >&2; }
  kill "$DAEMON" 2>/dev/null || true
  wait "$DAEMON" 2>/dev/null || true
  DAEMON=
  return $ok
}
run_installed || problems+=("the installed flashd did not get ready with the packaged config")
check test "$(in_root stat -c %U /var/lib/flashd/flashd.db 2>/dev/null)" = flashd

# Upgrade: the admin's config edit and the store stay; the new build starts on the old store.
sed -i 's/"benchId": "BENCH-1"/"benchId": "BENCH-CI"/' "$ROOT/etc/flashd/flashd.json"
dpkg --root="$ROOT" -i "$DEB2" >"$WORK/upgrade.log" 2>&1 || { cat "$WORK/upgrade.log" >&2; fail "upgrade to $(basename "$DEB2")"; }
check grep -q '"benchId": "BENCH-CI"' "$ROOT/etc/flashd/flashd.json"
check test -s "$ROOT/var/lib/flashd/flashd.db"
check test "$(in_root dpkg-query -W -f='${Version}' flashd)" = 0.0.1~ci2
run_installed || problems+=("the upgraded flashd did not get ready on the old store")
check grep -q '"benchId":"BENCH-CI"' "$ROOT/var/tmp/flashd.log"

# Remove keeps config and store; purge removes both. The account stays, as Debian leaves them.
dpkg --root="$ROOT" -r flashd >"$WORK/remove.log" 2>&1 || { cat "$WORK/remove.log" >&2; fail "dpkg -r flashd"; }
check test ! -e "$ROOT/opt/flashd/dist"
check test ! -e "$ROOT/usr/bin/flashctl"
check test -e "$ROOT/etc/flashd/flashd.json"
check test -e "$ROOT/var/lib/flashd/flashd.db"
dpkg --root="$ROOT" -P flashd >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log" >&2; fail "dpkg -P flashd"; }
check test ! -e "$ROOT/etc/flashd"
check test ! -e "$ROOT/var/lib/flashd"
check test ! -e "$ROOT/opt/flashd"

if [ ${#problems[@]} -gt 0 ]; then fail "$(printf '%s; ' "${problems[@]}")"; fi
say "OK: built, installed, ran, upgraded (config and store kept), removed and purged; exposure $score ($((SECONDS - START)) s)"
