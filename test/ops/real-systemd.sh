#!/usr/bin/env bash
# Boots a Debian bookworm userland under systemd-nspawn (a real systemd as PID 1), installs the
# built flashd with systemd/flashd.service and its sysusers file, starts the unit and checks that
# it stays active, serves the API and flashes the built-in simulator's hubs, and that no process
# was killed by the unit's seccomp filter. Recipe and pitfalls: docs/operations.md ("Tested under a
# real systemd"). Skips (exit 0) only when the host cannot do it: not root, no systemd-nspawn or
# debootstrap, or no route to the Debian mirror for a first root file system.
#   FLASHD_CI_CACHE  where the pristine root is kept between runs (default /var/cache/flashd-ci)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
CACHE=${FLASHD_CI_CACHE:-/var/cache/flashd-ci}
BASE=$CACHE/bookworm
MACHINE=flashd-ci-$$
START=$SECONDS

say() { echo "real-systemd: $*" >&2; }
skip() { say "SKIPPED: $*"; exit 0; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
for tool in systemd-nspawn debootstrap nsenter; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (apt-get install systemd-container debootstrap)"
done

if [ ! -x "$BASE/lib/systemd/systemd" ]; then
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  HOST=$(echo "$MIRROR" | sed -E 's#^[a-z]+://([^/:]+).*#\1#')
  timeout 10 bash -c "exec 3<>/dev/tcp/$HOST/80" 2>/dev/null || skip "no route to the Debian mirror $HOST for the first root file system"
  say "debootstrap bookworm from $MIRROR into $BASE (once; later runs reuse it)"
  mkdir -p "$CACHE"
  rm -rf "$BASE.tmp"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$BASE.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    fail "debootstrap failed, see $CACHE/debootstrap.log"
  mv "$BASE.tmp" "$BASE"
fi

npm run build >/dev/null

WORK=$(mktemp -d /var/tmp/flashd-ci.XXXXXX)
ROOT=$WORK/root
LOG=$WORK/nspawn.log
NSPAWN=
cleanup() {
  if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
    [ -n "$LEADER" ] && { in_container systemctl poweroff 2>/dev/null || true; }
    for _ in $(seq 30); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 1; done
    kill "$NSPAWN" 2>/dev/null || true
    wait "$NSPAWN" 2>/dev/null || true
  fi
  rm -rf "/run/systemd/nspawn/propagate/$MACHINE" "$WORK"
}
trap cleanup EXIT
LEADER=
in_container() { nsenter -t "$LEADER" -a "$@"; }

cp -a --reflink=auto "$BASE" "$ROOT"
# The app as an install puts it: root-owned, read-only for the service.
install -m 0755 "$(command -v node)" "$ROOT/usr/bin/node"
mkdir -p "$ROOT/opt/flashd"
cp -a "$REPO/package.json" "$REPO/dist" "$REPO/node_modules" "$REPO/firmware-images" "$REPO/docs" "$ROOT/opt/flashd/"
install -m 0644 "$REPO/systemd/flashd.service" "$ROOT/etc/systemd/system/flashd.service"
install -m 0644 "$REPO/systemd/flashd.sysusers.conf" "$ROOT/usr/lib/sysusers.d/flashd.conf"
# No jigs here: the one drop-in runs flashd-sim (the same daemon, built by the same createDaemon,
# plus the built-in simulator) instead of the production main. Everything else is the shipped unit.
mkdir -p "$ROOT/etc/systemd/system/flashd.service.d"
printf '[Service]\nExecStart=\nExecStart=/usr/bin/node /opt/flashd/dist/jig-sim/main.js --config /etc/flashd/flashd.json\n' \
  >"$ROOT/etc/systemd/system/flashd.service.d/simulator.conf"
# The shipped unit is Type=notify with WatchdogSec=30s; a short watchdog here makes a daemon that
# stops pinging fail within this run. TimeoutAbortSec: a SIGSTOPped daemon cannot act on SIGABRT.
printf '[Service]\nWatchdogSec=3s\nTimeoutAbortSec=3s\n' >"$ROOT/etc/systemd/system/flashd.service.d/watchdog.conf"
# The built-in simulator, so the unit runs without jigs. Its 1086 key arrives as a credential from
# /etc/credstore, as on a bench (the demo key: the simulated hubs only know those); 1178 and 106C
# have none there, as on a bench that keys only its own manufacturers.
mkdir -p "$ROOT/etc/credstore"
node --input-type=module -e "import('$REPO/dist/jig-sim/demo-keys.js').then((m) => process.stdout.write(m.demoMasterKey('1086').toString('hex')))" \
  >"$ROOT/etc/credstore/unlock-1086"
chmod 0600 "$ROOT/etc/credstore/unlock-1086"
mkdir -p "$ROOT/etc/flashd"
cat >"$ROOT/etc/flashd/flashd.json" <<'JSON'
{
  "benchId": "CI-NSPAWN",
  "api": { "host": "127.0.0.1", "port": 8080 },
  "store": { "path": "/var/lib/flashd/flashd.db" },
  "unlock": { "keys": { "1086": { "file": "/run/credentials/flashd.service/unlock-1086" } } },
  "simulator": { "enabled": true, "hubs": 8, "profile": "instant", "link": { "paced": false }, "technician": { "enabled": false } }
}
JSON

# SYSTEMD_SECCOMP=0: no nspawn filter on top of the unit's own; UNIFIED_HIERARCHY=1: cgroup v2, so
# DevicePolicy and IPAddressDeny are really enforced. --private-network: the container's own
# loopback, so its port 8080 is not the host's.
SYSTEMD_SECCOMP=0 SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 \
  systemd-nspawn -D "$ROOT" -b --register=no --keep-unit --private-network --console=pipe --machine="$MACHINE" </dev/null >"$LOG" 2>&1 &
NSPAWN=$!
# The container's PID 1: nspawn's first child is its own "outer child", which clones the container's
# init and exits, so a child of nspawn is taken only once it is PID 1 of a new PID namespace (its
# NSpid line reads "<host pid> 1"). Taking the first child seen raced with that exit on a slow host.
container_init() {
  local pid
  for pid in $(ps -o pid= --ppid "$NSPAWN"); do
    awk '/^NSpid:/ { exit !(NF == 3 && $3 == 1) }' "/proc/$pid/status" 2>/dev/null && { echo "$pid"; return 0; }
  done
  return 1
}
for _ in $(seq 150); do
  LEADER=$(container_init || true)
  [ -n "$LEADER" ] && break
  kill -0 "$NSPAWN" 2>/dev/null || { cat "$LOG" >&2; fail "systemd-nspawn exited"; }
  sleep 0.2
done
[ -n "$LEADER" ] || { tail -n 30 "$LOG" >&2; fail "no container PID 1 after 30 s"; }
state=
for _ in $(seq 240); do
  state=$(in_container systemctl is-system-running 2>/dev/null || true)
  case $state in running | degraded) break ;; esac
  kill -0 "$NSPAWN" 2>/dev/null || break
  sleep 0.5
done
case $state in
  running | degraded) ;;
  *)
    tail -n 30 "$LOG" >&2
    in_container systemctl list-jobs --no-pager >&2 2>&1 || true
    fail "container systemd did not finish booting in 120 s (state: ${state:-no answer from PID $LEADER})"
    ;;
esac
say "container booted ($state) after $((SECONDS - START)) s; starting flashd.service"

in_container systemctl start flashd.service || true
api() { in_container env -i /usr/bin/node -e "fetch('http://127.0.0.1:8080$1').then(async (r) => { if (!r.ok) process.exit(2); process.stdout.write(await r.text()); }, () => process.exit(3))"; }
health=
for _ in $(seq 120); do
  health=$(api /api/v1/health 2>/dev/null || true)
  [ -n "$health" ] && break
  # A unit that dies at start (the SIGSYS loop this script exists for) is not waited out.
  [ "$(in_container systemctl show -p NRestarts --value flashd.service)" = 0 ] || break
  case $(in_container systemctl is-active flashd.service) in failed | inactive) break ;; esac
  sleep 0.5
done
flashed=0
for _ in $(seq 120); do
  [ -z "$health" ] && break
  flashed=$(api /api/v1/slots 2>/dev/null | grep -o '"result":"REFLASHED"' | wc -l || true)
  [ "$flashed" -ge 1 ] && break
  sleep 0.5
done
active=$(in_container systemctl is-active flashd.service || true)
restarts=$(in_container systemctl show -p NRestarts --value flashd.service || true)
journal=$(in_container journalctl -b --no-pager -o short 2>/dev/null || true)
unit_log=$(in_container journalctl -b -u flashd.service --no-pager -o cat 2>/dev/null || true)

problems=()
[ "$active" = active ] || problems+=("flashd.service is $active, not active")
[ "$restarts" = 0 ] || problems+=("flashd.service restarted $restarts times")
[ -n "$health" ] || problems+=("GET /api/v1/health did not answer on 127.0.0.1:8080 inside the container")
[ "$flashed" -ge 1 ] || problems+=("no simulated hub was re-flashed (session workers, store)")
if grep -Eq 'status=31/SYS|signal=SYS|SIGSYS' <<<"$journal"; then problems+=("a process was killed by the seccomp filter (SIGSYS)"); fi
# sessions.threadNice: the session threads run 10 nice steps below the main thread (field 19 of
# each thread's stat), which setpriority under the unit's seccomp filter must allow.
main_pid=$(in_container systemctl show -p MainPID --value flashd.service 2>/dev/null || echo 0)
nices=$(in_container sh -c "for t in /proc/$main_pid/task/*; do sed 's/.*) //' \$t/stat | cut -d' ' -f17; done" 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ' || true)
main_nice=$(in_container sh -c "sed 's/.*) //' /proc/$main_pid/stat | cut -d' ' -f17" 2>/dev/null || echo '?')
[ "$main_nice" = 0 ] && grep -Eq '(^| )[0-9]+ 10( |$)' <<<"$nices" || problems+=("no session thread at nice 10 below a main thread at 0 (thread nice values:$nices; main: $main_nice)")
owner=$(in_container stat -c %U /var/lib/flashd/flashd.db 2>/dev/null || echo missing)
[ "$owner" = flashd ] || problems+=("the store is owned by $owner, not flashd (User=, StateDirectory=)")

# Type=notify: `systemctl start` returned only after READY=1; the watchdog (3 s here) was fed all
# along (no restart above); STATUS= reached systemd. Then a stalled daemon (SIGSTOP) is restarted.
[ "$(in_container systemctl show -p Type --value flashd.service)" = notify ] || problems+=("flashd.service is not Type=notify")
[ "$(in_container systemctl show -p WatchdogUSec --value flashd.service)" = 3s ] || problems+=("no watchdog on flashd.service")
status_text=$(in_container systemctl show -p StatusText --value flashd.service || true)
grep -Eq '^jigs 1/1 connected, [0-9]+ sessions? running, [0-9]+ N3 reports? pending$' <<<"$status_text" || problems+=("STATUS= not seen by systemd: '$status_text'")
if [ "$active" = active ]; then
  in_container systemctl kill -s SIGSTOP --kill-who=main flashd.service || true
  for _ in $(seq 60); do
    [ "$(in_container systemctl show -p NRestarts --value flashd.service)" != 0 ] && break
    sleep 0.5
  done
  in_container journalctl -b -u flashd.service --no-pager -o cat | grep -q 'Watchdog timeout' || problems+=("a SIGSTOPped flashd was not caught by the watchdog")
  [ "$(in_container systemctl show -p NRestarts --value flashd.service)" != 0 ] || problems+=("a stalled flashd was not restarted")
fi

if [ ${#problems[@]} -gt 0 ]; then
  echo "$unit_log" | tail -n 40 >&2
  grep -E 'flashd|SYS' <<<"$journal" | tail -n 20 >&2 || true
  fail "$(printf '%s; ' "${problems[@]}")"
fi
say "OK: flashd.service active under systemd $(in_container systemctl --version | awk 'NR==1{print $2}') (Type=notify, status \"$status_text\"), health $health, $flashed hubs re-flashed, session threads at nice 10 (threads by nice:$nices), no SIGSYS, a stalled daemon restarted by the watchdog ($((SECONDS - START)) s)"
