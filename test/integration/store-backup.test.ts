import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runFlashctl } from '../../src/flashctl/cli.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';

async function ctl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runFlashctl(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, readStdin: async () => '' });
  return { code, out, err };
}

const finishedAttempts = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM attempts WHERE finished_at IS NOT NULL').pluck().get() as number;
  } finally {
    db.close();
  }
};

/**
 * The real daemon flashes the simulator's hubs (the virtual technician keeps swapping them) while
 * flashctl takes backups, through the API and directly from the store file: every copy verifies,
 * each holds at least what the one before held, and flashing went on meanwhile.
 */
describe('flashctl backup while the bench flashes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-backup-'));
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    if (daemon) await daemon.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes consistent online copies through the API and from the file', { timeout: 90_000 }, async () => {
    const store = join(dir, 'store', 'flashd.db');
    const config = join(dir, 'flashd.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: { path: store },
        api: { port: 0 },
        simulator: { transport: 'in-process', profile: 'instant', link: { paced: false }, hubs: 8, technician: { enabled: true, dwellMs: 20, swapMs: 10 } },
      }),
    );
    daemon = startDaemon(['--config', config]);
    const url = await daemon.ready;
    let previous = 0;
    for (let i = 1; i <= 4; i++) {
      const file = join(dir, `backup-${i}.db`);
      // Alternate: the daemon's own connection (API), then a second process reading the WAL store.
      const r = await ctl(i % 2 === 1 ? ['--api', url, '--json', 'backup', file] : ['--json', 'backup', file, '--store', store]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const check = JSON.parse(r.out) as { ok: boolean; integrity: string; rows: Record<string, number> };
      expect(check).toMatchObject({ ok: true, integrity: 'ok' });
      expect(check.rows.work_orders).toBeGreaterThan(0);
      const held = finishedAttempts(file);
      expect(held).toBeGreaterThanOrEqual(previous);
      previous = held;
      const verified = await ctl(['verify-backup', file]);
      expect(verified.code).toBe(0);
      expect(verified.out).toContain(': OK, schema version');
      await new Promise((r) => setTimeout(r, 300));
    }
    // Flashing went on: the store now holds more than the first copies did.
    expect(previous).toBeGreaterThan(0);
    expect(finishedAttempts(store)).toBeGreaterThan(finishedAttempts(join(dir, 'backup-1.db')));
    // The daemon's copies were sent and unlinked: nothing left in the store's folder but the store.
    expect(readdirSync(join(dir, 'store')).filter((f) => !f.startsWith('flashd.db'))).toEqual([]);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    daemon = undefined;
  });

  it('refuses a backup into a folder that does not exist, leaving nothing behind', async () => {
    const store = join(dir, 'store', 'flashd.db');
    const r = await ctl(['backup', join(dir, 'missing', 'b.db'), '--store', store]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot back up the store to .*missing\/b\.db/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    expect((await ctl(['backup', store, '--store', store])).code).toBe(2);
  });
});
