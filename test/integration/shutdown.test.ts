import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { PRODUCTION_MAIN, startDaemon } from '../helpers/daemon-process.js';
import { waitFor } from '../helpers/wait-for.js';

interface SlotsBody {
  items: Array<{ slot: number; phase: string; progress: number }>;
}

describe('SIGTERM', () => {
  it('while a jig is still connecting (before ready): stops in order and exits 0, not killed mid-start', { timeout: 120_000 }, async () => {
    // A jig adapter that accepts connections and never answers: start-up waits on its INFO reply.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `socket://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'flashd-sigterm-start-'));
      const config = join(dir, 'flashd.json');
      writeFileSync(
        config,
        JSON.stringify({
          store: { path: join(dir, 'flashd.db') },
          api: { port: 0 },
          simulator: { enabled: false },
          images: { trustedKeyFiles: [join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem')] }, // no demo key without the simulator
          jigTimeoutMs: 120_000,
          jigs: [{ id: 'JIG-1', control: url, slots: [url, url] }],
        }),
      );
      const daemon = startDaemon(['--config', config], {}, PRODUCTION_MAIN); // real jigs: the production entry
      for (let i = 0; i < 1_500 && sockets.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(sockets.length).toBe(3); // control and both slots opened: the bench is starting
      const signalled = performance.now();
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
      expect(performance.now() - signalled).toBeLessThan(30_000); // not the 120 s jig timeout
      expect(daemon.stdout()).toContain('"flashd stopped"');
      expect(daemon.stdout()).not.toContain('"flashd ready"');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('stops sessions at a safe point, records them as interrupted and exits cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashd-sigterm-'));
    const db = join(dir, 'flashd.db');
    const config = join(dir, 'flashd.json');
    writeFileSync(config, JSON.stringify({ store: { path: db }, api: { port: 0 }, simulator: { hubs: 8 } }));
    const daemon = startDaemon(['--config', config]);
    const url = await daemon.ready;

    // Wait until every slot is part-way through its transfer.
    const slots = await waitFor('every slot part-way through its transfer', async () => {
      const items = ((await (await fetch(`${url}/api/v1/slots`)).json()) as SlotsBody).items;
      return items.every((s) => s.phase === 'TRANSFERRING' && s.progress > 0) && items;
    });
    expect(slots.map((s) => s.phase)).toEqual(Array(8).fill('TRANSFERRING'));
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.stdout()).toContain('"flashd stopped"');
    // A planned stop is not an incident: nothing at warn or above, so alerts on the log stay quiet.
    const loud = daemon
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 40);
    expect(loud.map((entry) => entry.msg)).toEqual([]);

    const store = new Database(db, { readonly: true });
    const attempts = store.prepare('SELECT result, error_code, error_phase, finished_at FROM attempts').all() as Array<Record<string, string | null>>;
    expect(attempts).toHaveLength(8);
    for (const a of attempts) {
      expect(a).toMatchObject({ result: 'INTERRUPTED', error_code: 'SESSION_INTERRUPTED', error_phase: 'TRANSFERRING' });
      expect(a.finished_at).not.toBeNull();
    }
    const hubs = store.prepare('SELECT outcome, state, last_error_code FROM hubs').all();
    expect(hubs).toEqual(Array(8).fill({ outcome: 'FAILED', state: 'FINISHED', last_error_code: 'SESSION_INTERRUPTED' }));
    expect(store.pragma('integrity_check', { simple: true })).toBe('ok');
    store.close();
  });
});
