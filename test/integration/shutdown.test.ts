import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/daemon-process.js';

interface SlotsBody {
  items: Array<{ slot: number; phase: string; progress: number }>;
}

describe('SIGTERM', () => {
  it('stops sessions at a safe point, records them as interrupted and exits cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashd-sigterm-'));
    const db = join(dir, 'flashd.db');
    const config = join(dir, 'flashd.json');
    writeFileSync(config, JSON.stringify({ store: { path: db }, api: { port: 0 }, simulator: { hubs: 8 } }));
    const daemon = startDaemon(['--config', config]);
    const url = await daemon.ready;

    // Wait until every slot is part-way through its transfer.
    let slots: SlotsBody['items'] = [];
    for (let i = 0; i < 200; i++) {
      slots = ((await (await fetch(`${url}/api/v1/slots`)).json()) as SlotsBody).items;
      if (slots.every((s) => s.phase === 'TRANSFERRING' && s.progress > 0)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
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
