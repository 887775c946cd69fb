import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDaemon, startDaemon } from '../helpers/daemon-process.js';
import { MockN3Server } from '../helpers/mock-n3-server.js';
import { deviceOrders, outboxViolations } from '../helpers/outbox-invariants.js';

const KILLS = 50;
const TOKEN = 'daemon-canary-token-7f3a9c';

/**
 * The daemon itself (src/main.ts as systemd runs it, built-in simulator with instant hubs and the
 * virtual technician swapping hubs), pushing to N3 through the flaky mock: SIGKILLed at a random
 * moment 50-800 ms after it is ready, while hubs are flashed and the outbox drains, KILLS times on
 * one store; after every kill the invariants are checked; then a last run flashes its hubs, drains
 * and stops on SIGTERM. test/fault/n3-crash.test.ts adds kills of a lighter child at a higher rate.
 */
describe('flashd as a child process, reporting upstream', () => {
  let server: MockN3Server;
  let dir: string;
  let compiled: string | undefined;
  beforeAll(async () => {
    let seq = 0;
    server = new MockN3Server({ token: TOKEN, plan: () => (++seq % 5 === 0 ? { kind: 'drop-after' } : seq % 7 === 0 ? { kind: 'status', status: 503, retryAfter: '0' } : undefined) });
    await server.up();
    dir = mkdtempSync(join(tmpdir(), 'flashd-daemon-crash-'));
  });
  afterAll(async () => {
    await server.down();
    rmSync(dir, { recursive: true, force: true });
    if (compiled) rmSync(compiled, { recursive: true, force: true });
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

  it('delivers every committed result exactly as stored, and never logs the token', { timeout: 420_000 }, async () => {
    writeFileSync(join(dir, 'n3.token'), `${TOKEN}\n`);
    const configFor = (name: string, technician: boolean): string => {
      const path = join(dir, name);
      writeFileSync(
        path,
        JSON.stringify({
          store: { path: 'flashd.db' },
          api: { port: 0 },
          simulator: { transport: 'in-process', profile: 'instant', link: { paced: false }, hubs: 8, technician: { enabled: technician, dwellMs: 20, swapMs: 10 } },
          upstream: { mode: 'both', n3: { url: server.url, token: { file: 'n3.token' }, pollIntervalMs: 20, summaryIntervalMs: 1000, retry: { minTimeoutMs: 20, maxTimeoutMs: 200 } } },
        }),
      );
      return path;
    };
    const crashing = configFor('crashing.json', true);
    const entry = await compileDaemon();
    compiled = dirname(dirname(entry));
    const config = configFor('flashd.json', false);
    const db = join(dir, 'flashd.db');
    const logs: string[] = [];
    for (let run = 1; run <= KILLS; run++) {
      const daemon = startDaemon(['--config', crashing], {}, entry);
      const base = await daemon.ready;
      // Kill while results are being committed and delivered, not on an idle or still-starting
      // daemon, whatever the host's speed: once this run has finished a few sessions, at a random moment.
      await finishedSessions(base, 3, 10_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      logs.push(daemon.stdout(), daemon.stderr());
      expect(outboxViolations(db, [], server), `after kill ${run}`).toEqual([]);
    }

    const daemon = startDaemon(['--config', config]);
    const url = await daemon.ready;
    const get = async <T>(path: string): Promise<T> => (await fetch(`${url}/api/v1${path}`)).json() as Promise<T>;
    for (;;) {
      const slots = await get<{ items: Array<{ result: string | null }> }>('/slots');
      const outbox = await get<{ pending: number; delivered: number; mode: string }>('/outbox');
      if (slots.items.every((s) => s.result !== null) && outbox.pending === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    logs.push(daemon.stdout(), daemon.stderr());
    expect(outboxViolations(db, [], server)).toEqual([]);
    const { committed, accepted } = deviceOrders(db, server);
    // The kills landed while results were being committed and delivered, not on an idle daemon.
    expect(committed.size).toBeGreaterThan(KILLS * 4);
    expect(accepted).toEqual(committed);
    expect(server.acceptances.length).toBeGreaterThan(0);
    expect(server.received.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(logs.join('\n')).toContain('n3 outbox summary');
    expect(logs.join('\n')).not.toContain(TOKEN);
  });
});

/** Resolves once `count` of the daemon's slots show a result, or after `limitMs` (the kill then lands anyway). */
async function finishedSessions(base: string, count: number, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    try {
      const body = (await (await fetch(`${base}/api/v1/slots`)).json()) as { items: Array<{ result: string | null }> };
      if (body.items.filter((s) => s.result !== null).length >= count) return;
    } catch {
      // not answering yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
