import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCaptured, startDaemon, type CapturedProcess, type DaemonProcess } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';
import { FakeNotifySocket } from '../helpers/notify-socket.js';

/**
 * Type=notify as systemd runs it, with a fake NOTIFY_SOCKET: the real daemon (with the built-in
 * simulator) says READY=1 only once its API answers, then feeds the watchdog and reports STATUS;
 * a main event loop that blocks sends no pings, so systemd's WatchdogSec= would restart it.
 */
describe('systemd supervision (Type=notify, watchdog)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-notify-'));
  const children: Array<DaemonProcess | CapturedProcess<unknown>> = [];
  afterAll(() => {
    for (const c of children) c.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends READY=1 only when the API answers, then STATUS and WATCHDOG=1, and STOPPING=1 on SIGTERM', { timeout: 60_000 }, async () => {
    const notify = new FakeNotifySocket(dir);
    const port = await freePort();
    const config = join(dir, 'flashd.json');
    writeFileSync(
      config,
      JSON.stringify({
        api: { host: '127.0.0.1', port },
        store: { path: join(dir, 'flashd.db') },
        simulator: { enabled: true, hubs: 2, profile: 'instant', technician: { enabled: false } },
      }),
    );
    // The health request leaves the moment READY=1 arrives: a READY sent before the API listens is refused here.
    const answered = notify.waitFor((n) => n.fields.READY === '1', 45_000).then(async () => (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status);
    const daemon = startDaemon(['--config', config], { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '900000' });
    children.push(daemon);
    expect(await answered).toBe(200);
    const ready = notify.received.findIndex((n) => n.fields.READY === '1');
    expect(notify.received[ready]!.fields.STATUS).toMatch(/^jigs 1\/1 connected, \d+ sessions? running, \d+ N3 reports? pending$/);
    // The watchdog is fed every WatchdogSec/3 = 300 ms while the daemon is healthy.
    const first = await notify.waitFor((n) => n.fields.WATCHDOG === '1', 10_000, ready + 1);
    await notify.waitFor((n) => n.fields.WATCHDOG === '1' && n !== first, 10_000, ready + 1);
    daemon.child.kill('SIGTERM');
    const stopping = await notify.waitFor((n) => n.fields.STOPPING === '1', 20_000);
    expect(stopping.fields.STATUS).toBe('stopping (SIGTERM)');
    expect(await daemon.exited).toBe(0);
    notify.close();
  });

  it('stops the pings while the main event loop is blocked, and the first late tick after it does not ping', { timeout: 60_000 }, async () => {
    const sub = mkdtempSync(join(dir, 'block-'));
    const notify = new FakeNotifySocket(sub);
    const child = spawnCaptured(
      ['--import', 'tsx', 'test/helpers/watchdog-child.ts', join(sub, 'store.db')],
      { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '600000', BLOCK_MS: '1500' },
      (out) => (out.includes('done') ? true : undefined),
    );
    children.push(child);
    await child.ready;
    const seq = notify.received.map((n) => (n.fields.WATCHDOG ? 'ping' : (n.fields.X_FLASHD_TEST ?? (n.fields.READY ? 'ready' : 'status'))));
    const start = seq.indexOf('block-start');
    const end = seq.indexOf('block-end');
    expect(seq[0]).toBe('ready');
    expect(seq.slice(0, start).filter((s) => s === 'ping').length).toBeGreaterThanOrEqual(2);
    expect(end).toBe(start + 1); // nothing at all while the loop is blocked
    // The tick due during the block fires ~1.3 s late: it is not a ping. The next on-time tick pings again.
    const after = notify.received.slice(end + 1).find((n) => n.fields.WATCHDOG === '1');
    expect(after).toBeDefined();
    expect(after!.at - notify.received[end]!.at).toBeGreaterThanOrEqual(150);
    expect(child.stdout()).toMatch(/watchdog not fed/);
    notify.close();
  });
});
