import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { spawnCaptured } from '../helpers/daemon-process.js';
import { MockN3Server, type N3Fault } from '../helpers/mock-n3-server.js';
import { deviceOrders, outboxViolations, parseAcks, type Ack } from '../helpers/outbox-invariants.js';

const RUNS = 50;
const TOKEN = 'crash-token-0123456789';
const SEED = Number(process.env.N3_CRASH_SEED ?? Date.now() % 100_000);

/** A flaky N3 client: answers dropped after processing, 503 with Retry-After, 500, slow answers. */
function flaky(seq: number): N3Fault | undefined {
  const r = (Math.imul(seq + SEED, 2_654_435_761) >>> 0) % 100;
  if (r < 10) return { kind: 'drop-after' };
  if (r < 14) return { kind: 'status', status: 503, retryAfter: '0' };
  if (r < 18) return { kind: 'status', status: 500 };
  if (r < 22) return { kind: 'slow', ms: 60 };
  return undefined;
}

interface Child {
  /** Lets a pre-warmed child open the store. */
  go: () => void;
  stdout: () => string;
  exited: Promise<number | null>;
  kill: () => void;
  ready: Promise<void>;
}

function startChild(env: Record<string, string>): Child {
  const p = spawnCaptured(
    ['--import', 'tsx', join(PACKAGE_ROOT, 'test/helpers/crash-child.ts')],
    env,
    (out) => (out.startsWith('READY\n') ? true : undefined),
    'pipe',
  );
  return {
    go: () => void p.child.stdin!.write('GO\n'),
    stdout: p.stdout,
    exited: p.exited,
    kill: () => void p.child.kill('SIGKILL'),
    ready: p.ready.then(() => undefined),
  };
}

/**
 * Jepsen-style, on one node: a child process commits hub outcomes through the real store and N3
 * sink while the real drainer delivers to a flaky N3 server here in the parent; it is SIGKILLed at a
 * random moment 50–800 ms after it is ready, RUNS times, on one database (the next child boots
 * meanwhile and opens the store only once its predecessor is dead). After every kill the
 * store must be intact and hold every outcome the child acknowledged, each with its one outbox row,
 * and the server must have accepted nothing the store does not hold, byte for byte. A last run
 * drains: then every result is delivered, in commit order per Device ID. N3_CRASH_SEED replays a run.
 */
describe(`N3 outbox under SIGKILL (seed ${SEED})`, () => {
  let server: MockN3Server;
  let dir: string;
  beforeAll(async () => {
    server = new MockN3Server({ token: TOKEN, plan: (r) => flaky(r.seq) });
    await server.up();
    dir = mkdtempSync(join(tmpdir(), 'flashd-crash-'));
  });
  afterAll(async () => {
    await server.down();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`loses no committed result and reports none twice with other content over ${RUNS} kills`, { timeout: 180_000 }, async () => {
    const db = join(dir, 'crash.db');
    const env = { CRASH_DB: db, CRASH_N3_URL: server.url, CRASH_TOKEN: TOKEN };
    const acks: Ack[] = [];
    let random = SEED;
    const nextDelay = (): number => 50 + ((random = (Math.imul(random, 1_103_515_245) + 12_345) >>> 0) % 751);
    const started = performance.now();
    const warm = (run: number): Child => startChild({ ...env, CRASH_RUN: `${SEED}-${run}`, CRASH_WAIT_GO: '1' });
    let next = warm(1);
    for (let run = 1; run <= RUNS; run++) {
      const child = next;
      child.go();
      await child.ready;
      if (run < RUNS) next = warm(run + 1);
      await new Promise((r) => setTimeout(r, nextDelay()));
      child.kill();
      await child.exited;
      acks.push(...parseAcks(child.stdout()));
      expect(outboxViolations(db, acks, server), `after kill ${run}`).toEqual([]);
    }
    const drain = startChild({ ...env, CRASH_MODE: 'drain', CRASH_RUN: `${SEED}-drain` });
    expect(await drain.exited).toBe(0);
    expect(drain.stdout()).toContain('DRAINED');
    expect(outboxViolations(db, acks, server)).toEqual([]);

    const { committed, accepted } = deviceOrders(db, server);
    expect(accepted).toEqual(committed);
    const keys = [...committed.values()].flat();
    expect(server.acceptedKeys).toEqual(new Set(keys));
    expect(server.acceptances).toHaveLength(keys.length);
    const resent = server.received.length - server.acceptances.length;
    console.log(
      `n3 crash test: ${RUNS} kills, ${acks.length} acknowledged outcomes, ${keys.length} notifications delivered over ${server.received.length} requests (${resent} refused or re-sent) in ${Math.round(performance.now() - started)} ms`,
    );
    expect(keys.length).toBeGreaterThan(RUNS); // the kills landed while results were being committed
    expect(server.received.filter((r) => r.answer === 'dropped').length).toBeGreaterThan(0);
  });
});
