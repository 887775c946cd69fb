import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { committedViolations, emptySnapshot } from '../helpers/result-invariants.js';

type Slot = { jig: string; slot: number; present: boolean; result: string | null; error: { code: string } | null };

/** The first `snapshot` event of the dashboard stream: the alarms the bar shows. */
async function alarms(url: string): Promise<Array<{ code: string; message: string }>> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/events`, { signal: controller.signal });
  const reader = res.body!.getReader();
  let text = '';
  try {
    while (!/event: snapshot\ndata: .*\n/.test(text) && !/"alarms"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
  } finally {
    controller.abort();
  }
  const line = text.split('\n').find((l) => l.startsWith('data: ') && l.includes('"alarms"'))!;
  return (JSON.parse(line.slice(6)) as { alarms: Array<{ code: string; message: string }> }).alarms;
}

const finished = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM attempts WHERE finished_at IS NOT NULL').pluck().get() as number;
  } finally {
    db.close();
  }
};

/**
 * The real daemon on a store capped at a size it reaches within seconds (store.maxSizeMiB, SQLite's
 * max_page_count), the technician feeding hubs: once the store is full no new session starts, the
 * slots say STORE_FULL and the alarm bar says so, and every result committed before is still there.
 */
describe('a full store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-store-full-'));
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    if (daemon) await daemon.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops new sessions, raises the alarm and keeps every committed result', { timeout: 120_000 }, async () => {
    const store = join(dir, 'flashd.db');
    const config = join(dir, 'flashd.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: { path: store, maxSizeMiB: 2 },
        api: { port: 0 },
        simulator: {
          transport: 'in-process',
          profile: 'instant',
          link: { paced: false },
          hubs: 8,
          stock: 3000,
          technician: { enabled: true, dwellMs: 20, swapMs: 10 },
        },
      }),
    );
    daemon = startDaemon(['--config', config]);
    const url = await daemon.ready;
    let committed = emptySnapshot();
    let full: Slot[] = [];
    const deadline = Date.now() + 90_000;
    while (full.length === 0) {
      if (Date.now() > deadline) throw new Error(`the store never filled: ${finished(store)} attempts`);
      // What the store had committed so far: it must all be there at the end.
      committed = committedViolations(store, committed).snapshot;
      const slots = ((await (await fetch(`${url}/api/v1/slots`)).json()) as { items: Slot[] }).items;
      full = slots.filter((s) => s.error?.code === 'STORE_FULL');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(committed.attempts.size).toBeGreaterThan(8);
    expect((await alarms(url)).map((a) => a.code)).toContain('STORE_FULL');
    // No new session: the attempts stop growing while the technician keeps the slots filled.
    await new Promise((r) => setTimeout(r, 1500));
    const settled = finished(store);
    await new Promise((r) => setTimeout(r, 2500));
    expect(finished(store)).toBe(settled);
    const stillFull = ((await (await fetch(`${url}/api/v1/slots`)).json()) as { items: Slot[] }).items.filter((s) => s.error?.code === 'STORE_FULL');
    expect(stillFull.length).toBeGreaterThan(0);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.stdout()).toContain('store full: no new session');
    daemon = undefined;
    const after = committedViolations(store, committed);
    expect(after.problems).toEqual([]);
    const db = new Database(store, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare('SELECT count(*) FROM attempts WHERE finished_at IS NULL').pluck().get()).toBe(0);
    db.close();
  });
});
