import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/daemon-process.js';
import { MockN3Server } from '../helpers/mock-n3-server.js';
import { runKillSoak, SOAK_TOKEN } from '../soak/kill-soak-run.js';

/** The suite's short run; `npm run soak -- --kills N` runs the same soak at length (test/soak/kill-soak.ts). */
const KILLS = 10;
const TOKEN = SOAK_TOKEN;

/**
 * The daemon itself as a child process reporting upstream: with N3 off it sends nothing; with N3
 * on, the kill soak (test/soak/kill-soak-run.ts: SIGKILLs at random moments while hubs are flashed
 * and the outbox drains, every invariant checked after each kill, then a clean drain) in short.
 * test/fault/n3-crash.test.ts adds kills of a lighter child at a higher rate.
 */
describe('flashd as a child process, reporting upstream', () => {
  let server: MockN3Server;
  let dir: string;
  beforeAll(async () => {
    let seq = 0;
    server = new MockN3Server({
      token: TOKEN,
      plan: () => (++seq % 5 === 0 ? { kind: 'drop-after' } : seq % 7 === 0 ? { kind: 'status', status: 503, retryAfter: '0' } : undefined),
    });
    await server.up();
    dir = mkdtempSync(join(tmpdir(), 'flashd-daemon-crash-'));
  });
  afterAll(async () => {
    await server.down();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with upstream.mode ssmi queues nothing and sends nothing, even with an N3 url configured', { timeout: 30_000 }, async () => {
    const config = join(dir, 'ssmi.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: { path: 'ssmi.db' },
        api: { port: 0 },
        simulator: { transport: 'in-process', profile: 'instant', link: { paced: false }, hubs: 8, technician: { enabled: false } },
        upstream: { mode: 'ssmi', n3: { url: server.url, token: TOKEN } },
      }),
    );
    const daemon = startDaemon(['--config', config]);
    const url = await daemon.ready;
    let outbox: Record<string, unknown>;
    for (;;) {
      const slots = (await (await fetch(`${url}/api/v1/slots`)).json()) as { items: Array<{ result: string | null }> };
      outbox = (await (await fetch(`${url}/api/v1/outbox`)).json()) as Record<string, unknown>;
      if (slots.items.every((s) => s.result !== null)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const ssmi = await (await fetch(`${url}/api/v1/work-orders/DEMO-1/ssmi`)).text();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(outbox).toMatchObject({ mode: 'ssmi', n3Enabled: false, pending: 0, delivered: 0, dead: 0 });
    expect(ssmi.trim().split('\r\n').length).toBeGreaterThan(1); // Option B still has the re-flashed hubs
    const db = new Database(join(dir, 'ssmi.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM n3_outbox').pluck().get()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM work_order_hubs WHERE outcome = 'REFLASHED'").pluck().get()).toBeGreaterThan(0);
    db.close();
    expect(server.received).toEqual([]);
    expect(daemon.stdout()).not.toContain('n3 outbox summary');
    // The daemon's own wiring feeds the scrape endpoint; with N3 off it exports no outbox figures.
    expect(metrics).toMatch(/^flashd_sessions_finished_total\{result="REFLASHED"\} 8$/m);
    expect(metrics).not.toContain('flashd_n3_outbox');
  });

  it(`keeps every committed result and reports exactly it over ${KILLS} kills`, { timeout: 180_000 }, async () => {
    const report = await runKillSoak({ kills: KILLS });
    expect(report.problems).toEqual([]);
    expect(report.orderMismatch).toBe(false);
    expect(report.tokenLogged).toBe(false);
    // The kills landed while results were being committed and delivered, not on an idle daemon.
    expect(report.hubs).toBeGreaterThan(KILLS * 2);
    expect(report.delivered).toBe(report.hubs);
  });
});
