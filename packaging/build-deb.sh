#!/usr/bin/env bash
# Builds flashd_<version>_<arch>.deb with dpkg-deb: the compiled daemon, production node_modules
# (native modules as npm built them here, for this machine's architecture and Node ABI), the
# dashboard, the signed image catalogue, the systemd unit, sysusers/tmpfiles snippets, udev rules,
# the commented default config (a conffile) and /usr/bin links. Installing it needs no network.
#   FLASHD_DEB_VERSION  package version (default: package.json's version, Debian revision 1)
#   FLASHD_DEB_OUT      output folder (default: .tmp/deb)
#   FLASHD_DEB_NO_BUILD=1  use the dist/ already built
#   FLASHD_DEB_META_ONLY=1 leave the app out (no build, no /opt/flashd, no /usr/bin links): the
#                          system files and control data only, for the fast package test
#   FLASHD_DEB_COMPRESS    dpkg-deb compression options (default -Zxz -z2; the CI test uses -Zgzip -z1)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
say() { echo "package: $*" >&2; }

VERSION=${FLASHD_DEB_VERSION:-$(node -p "require('./package.json').version")-1}
ARCH=$(dpkg --print-architecture)
OUT=${FLASHD_DEB_OUT:-$REPO/.tmp/deb}
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
# The native modules are built for this Node's ABI (NODE_MODULE_VERSION): another major cannot load them.
NODE_DEP="nodejs (>= $NODE_MAJOR), nodejs (<< $((NODE_MAJOR + 1)))"
[ "$NODE_MAJOR" = 20 ] && NODE_DEP="nodejs (>= 20.11), nodejs (<< 21)"  # package.json engines
META_ONLY=${FLASHD_DEB_META_ONLY:-}
[ "${FLASHD_DEB_NO_BUILD:-}" = 1 ] || [ "$META_ONLY" = 1 ] || npm run build >/dev/null

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/flashd-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
ROOT=$STAGE/root
APP=$ROOT/opt/flashd
mkdir -p "$ROOT/DEBIAN"

if [ "$META_ONLY" != 1 ]; then
mkdir -p "$APP/dist" "$APP/firmware-images"
# The app: compiled code only (no tests), the dashboard bundle, docs, the catalogue without its generator.
cp -a dist/src dist/jig-sim dist/firmware-images dist/dashboard "$APP/dist/"
find "$APP/dist" -name '*.map' -delete
cp -a package.json package-lock.json docs "$APP/"
cp -a firmware-images/*.ota firmware-images/manifest.json firmware-images/manifest.json.sig firmware-images/keys firmware-images/README.md "$APP/firmware-images/"
# Production node_modules from the ones npm installed (and compiled) here: prune is offline.
cp -a node_modules "$APP/"
(cd "$APP" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --offline >/dev/null)
# Native modules must load with the Node this package is built for.
for mod in better-sqlite3 unix-dgram @serialport/bindings-cpp usb; do
  (cd "$APP" && node -e "require('$mod')") || { say "native module $mod does not load"; exit 1; }
done
chmod 0755 "$APP/dist/src/main.js" "$APP/dist/src/flashctl/main.js" "$APP/dist/jig-sim/main.js"

install -d "$ROOT/usr/bin"
ln -s /opt/flashd/dist/src/main.js "$ROOT/usr/bin/flashd"
ln -s /opt/flashd/dist/src/flashctl/main.js "$ROOT/usr/bin/flashctl"
ln -s /opt/flashd/dist/jig-sim/main.js "$ROOT/usr/bin/flashd-sim"
fi

install -D -m 0644 systemd/flashd.service "$ROOT/lib/systemd/system/flashd.service"
install -D -m 0644 systemd/flashd.sysusers.conf "$ROOT/usr/lib/sysusers.d/flashd.conf"
install -D -m 0644 packaging/flashd.tmpfiles.conf "$ROOT/usr/lib/tmpfiles.d/flashd.conf"
# A commented template; `flashctl udev-rules --write` puts the bench's own rules in
# /etc/udev/rules.d under the same name, which takes its place (udev's override rule).
install -D -m 0644 systemd/99-flashd-jigs.rules "$ROOT/lib/udev/rules.d/99-flashd-jigs.rules"
install -D -m 0644 packaging/flashd.json "$ROOT/etc/flashd/flashd.json"
install -d "$ROOT/usr/share/doc/flashd"
printf 'flashd\n\nCopyright: the flashd authors. License: UNLICENSED (proprietary).\nThird-party licences: /opt/flashd/node_modules/*/LICENSE*\n' >"$ROOT/usr/share/doc/flashd/copyright"

install -m 0755 packaging/postinst packaging/prerm packaging/postrm "$ROOT/DEBIAN/"
echo /etc/flashd/flashd.json >"$ROOT/DEBIAN/conffiles"
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: flashd
Version: $VERSION
Architecture: $ARCH
Maintainer: flashd maintainers <flashd@localhost>
Installed-Size: $SIZE
Depends: $NODE_DEP, systemd, adduser
Recommends: udev
Section: misc
Priority: optional
Description: Communications Hub re-flash bench daemon (MP155)
 flashd re-flashes SMETS2 Communications Hubs on multi-jigs: serial jig control,
 hub sessions in worker threads, a SQLite store, N3 reporting, a status API and
 the technicians' dashboard. Runs as the systemd service flashd.service.
 .
 Native modules (better-sqlite3, serialport, usb, unix-dgram) are built for
 Node.js $NODE_MAJOR on $ARCH.
CONTROL

mkdir -p "$OUT"
DEB=$OUT/flashd_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group ${FLASHD_DEB_COMPRESS:--Zxz -z2} --build "$ROOT" "$DEB" >/dev/null
say "built $DEB ($(du -h "$DEB" | cut -f1), installs $((SIZE / 1024)) MiB)"
echo "$DEB"
