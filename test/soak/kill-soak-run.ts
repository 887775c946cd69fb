import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { compileDaemon, startDaemon } from '../helpers/daemon-process.js';
import { MockN3Server } from '../helpers/mock-n3-server.js';
import { deviceOrders, outboxViolations } from '../helpers/outbox-invariants.js';
import { committedViolations, emptySnapshot } from '../helpers/result-invariants.js';

export const SOAK_TOKEN = 'daemon-canary-token-7f3a9c';

export interface KillSoakOptions {
  kills: number;
  /** Stop killing at this time (epoch ms) even if fewer kills were done; the report says how many. */
  stopAt?: number;
  /** Called after each kill's checks (progress for a long run). */
  onKill?: (kill: number, problems: readonly string[]) => void;
}

export interface KillSoakReport {
  /** Kills done (fewer than asked when `stopAt` came first). */
  kills: number;
  /** Kills per minute over the kill loop (compilation and the last run not counted). */
  killsPerMinute: number;
  /** Kills that landed before the daemon said it was ready (start-up, migrations, recovery). */
  earlyKills: number;
  /** Hubs with a final outcome reported upstream, and attempts the store finished. */
  hubs: number;
  attempts: number;
  delivered: number;
  /** Every violation found, prefixed with the kill after which it was seen ("final" for the last run). */
  problems: string[];
  /** Committed keys per device differ from what the server accepted, in order. */
  orderMismatch: boolean;
  tokenLogged: boolean;
  durationMs: number;
}

/**
 * The daemon itself (jig-sim/main.ts compiled, the same runDaemon systemd runs: built-in simulator
 * with instant hubs and the virtual technician swapping hubs) reports to a flaky local N3 server and
 * is SIGKILLed `kills` times on one store: mostly 0-400 ms after a random 1-4 sessions finished (so
 * kills land while results are committed and delivered), one in ten at a random moment of start-up.
 * After every kill: integrity_check, no committed attempt or outbox row lost or changed, no
 * REFLASHED without a verified hash and read-back, every final outcome has its row and nothing
 * upstream accepted is unknown to the store (test/helpers/outbox-invariants.ts). Then a last run
 * without the technician finishes its hubs, drains the outbox, stops on SIGTERM and is checked too.
 */
export async function runKillSoak(options: KillSoakOptions): Promise<KillSoakReport> {
  const started = Date.now();
  let seq = 0;
  const server = new MockN3Server({
    token: SOAK_TOKEN,
    plan: () => (++seq % 5 === 0 ? { kind: 'drop-after' } : seq % 7 === 0 ? { kind: 'status', status: 503, retryAfter: '0' } : undefined),
  });
  await server.up();
  const dir = mkdtempSync(join(tmpdir(), 'flashd-kill-soak-'));
  let compiled: string | undefined;
  try {
    writeFileSync(join(dir, 'n3.token'), `${SOAK_TOKEN}\n`);
    const configFor = (name: string, technician: boolean): string => {
      const path = join(dir, name);
      writeFileSync(
        path,
        JSON.stringify({
          store: { path: 'flashd.db' },
          api: { port: 0 },
          simulator: {
            transport: 'in-process',
            profile: 'instant',
            link: { paced: false },
            hubs: 8,
            technician: { enabled: technician, dwellMs: 20, swapMs: 10 },
          },
          upstream: {
            mode: 'both',
            n3: { url: server.url, token: { file: 'n3.token' }, pollIntervalMs: 20, summaryIntervalMs: 1000, retry: { minTimeoutMs: 20, maxTimeoutMs: 200 } },
          },
        }),
      );
      return path;
    };
    const crashing = configFor('crashing.json', true);
    const entry = await compileDaemon();
    compiled = dirname(dirname(entry));
    const db = join(dir, 'flashd.db');
    const problems: string[] = [];
    let tokenLogged = false;
    let earlyKills = 0;
    let snapshot = emptySnapshot();
    const check = (label: string): string[] => {
      const found = outboxViolations(db, [], server);
      const committed = committedViolations(db, snapshot);
      snapshot = committed.snapshot;
      const all = [...found, ...committed.problems].map((p) => `${label}: ${p}`);
      problems.push(...all);
      return all;
    };
    const loopStarted = Date.now();
    let kills = 0;
    for (let kill = 1; kill <= options.kills && Date.now() < (options.stopAt ?? Infinity); kill++) {
      kills = kill;
      const daemon = startDaemon(['--config', crashing], {}, entry);
      if (Math.random() < 0.1) {
        earlyKills++;
        await Promise.race([daemon.ready.catch(() => undefined), new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1500)))]);
      } else {
        const base = await daemon.ready;
        await finishedSessions(base, 1 + Math.floor(Math.random() * 4), 10_000);
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
      }
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      if (daemon.stdout().includes(SOAK_TOKEN) || daemon.stderr().includes(SOAK_TOKEN)) tokenLogged = true;
      options.onKill?.(kill, check(`after kill ${kill}`));
    }
    const killsPerMinute = kills / ((Date.now() - loopStarted) / 60_000);

    const daemon = startDaemon(['--config', configFor('flashd.json', false)], {}, entry);
    const url = await daemon.ready;
    const get = async <T>(path: string): Promise<T> => (await fetch(`${url}/api/v1${path}`)).json() as Promise<T>;
    const deadline = Date.now() + 120_000;
    // The summary is logged every summaryIntervalMs (1 s here): a last run that drains sooner runs on until its first.
    const summaryLogged = (): boolean => (daemon.stdout() + daemon.stderr()).includes('n3 outbox summary');
    for (;;) {
      const slots = await get<{ items: Array<{ result: string | null }> }>('/slots');
      const outbox = await get<{ pending: number }>('/outbox');
      const drained = slots.items.every((s) => s.result !== null) && outbox.pending === 0;
      if (drained && summaryLogged()) break;
      if (Date.now() > deadline) {
        if (!drained) problems.push('final: the last run did not finish its hubs and drain the outbox in 120 s');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    daemon.child.kill('SIGTERM');
    const code = await daemon.exited;
    if (code !== 0) problems.push(`final: the last run exited with ${code} on SIGTERM`);
    const logs = daemon.stdout() + daemon.stderr();
    if (!logs.includes('n3 outbox summary')) problems.push('final: no n3 outbox summary logged');
    if (logs.includes(SOAK_TOKEN)) tokenLogged = true;
    check('final');
    const { committed, accepted } = deviceOrders(db, server);
    const orderMismatch = JSON.stringify([...committed].sort()) !== JSON.stringify([...accepted].sort());
    if (server.received.some((r) => r.authorization !== `Bearer ${SOAK_TOKEN}`)) problems.push('final: a request without the bearer token');
    const conn = new Database(db, { readonly: true });
    const attempts = conn.prepare('SELECT count(*) FROM attempts WHERE finished_at IS NOT NULL').pluck().get() as number;
    const delivered = conn.prepare("SELECT count(*) FROM n3_outbox WHERE state = 'DELIVERED'").pluck().get() as number;
    conn.close();
    return {
      kills,
      killsPerMinute,
      earlyKills,
      hubs: committed.size,
      attempts,
      delivered,
      problems,
      orderMismatch,
      tokenLogged,
      durationMs: Date.now() - started,
    };
  } finally {
    await server.down();
    rmSync(dir, { recursive: true, force: true });
    if (compiled) rmSync(compiled, { recursive: true, force: true });
  }
}

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
