import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { N3Drainer } from '../../src/upstream/n3-drainer.js';
import { N3HttpTransport } from '../../src/upstream/n3-http-transport.js';
import { DEFAULT_RETRY_POLICY } from '../../src/upstream/retry-policy.js';
import { MockN3Server, type N3Fault } from '../helpers/mock-n3-server.js';
import { deviceIdOf, OutboxBench } from '../helpers/outbox-bench.js';

// Real timers, captured before the test fakes them: HTTP runs on real sockets in real time.
const realSetTimeout = globalThis.setTimeout;
const realTick = (ms = 1): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));

const DEVICES = 250;
const ROUNDS = 4; // 250 hubs on 4 successive work orders: 1,000 results, 4 per Device ID
const HOUR_MS = 3_600_000;

/** Deterministic flakiness once the server is back: 503/429 with Retry-After, 500, dropped answers. */
function flaky(seq: number): N3Fault | undefined {
  const r = (Math.imul(seq, 2_654_435_761) >>> 0) % 100;
  if (r < 6) return { kind: 'status', status: 503, retryAfter: '3' };
  if (r < 9) return { kind: 'status', status: 429, retryAfter: new Date(Date.now() + 4000).toUTCString() };
  if (r < 13) return { kind: 'status', status: 500 };
  if (r < 18) return { kind: 'drop-after' };
  return undefined;
}

describe('an hour-long N3 outage', () => {
  let bench: OutboxBench | undefined;
  let server: MockN3Server | undefined;
  let drainer: N3Drainer | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await drainer?.stop();
    await server?.down();
    bench?.close();
  });

  it('delivers all 1,000 results once it is back, in order per Device ID, never two contents for one key', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: Date.parse('2026-11-28T08:00:00Z') });
    bench = await OutboxBench.open(join(mkdtempSync(join(tmpdir(), 'flashd-outage-')), 'f.db'));
    server = new MockN3Server({ token: 'outage-token-123' });
    await server.up();
    await server.down(); // the N3 client is down from the start; its port stays reserved for up()
    const log: string[] = [];
    drainer = new N3Drainer({
      outbox: bench.stores.outbox,
      transport: new N3HttpTransport({ url: server.url, token: 'outage-token-123', maxSockets: 8 }),
      policy: { ...DEFAULT_RETRY_POLICY, maxTimeoutMs: 120_000 },
      batchSize: 100,
      concurrency: 8,
      log: pino({ level: 'info' }, { write: (line: string) => void log.push(line) }),
    });
    drainer.start();

    // An hour of bench work: a result every 3.6 s while the N3 client refuses connections.
    const spacing = HOUR_MS / (DEVICES * ROUNDS);
    const ns = Array.from({ length: DEVICES }, (_, i) => i);
    for (let round = 0; round < ROUNDS; round++) {
      const wo = `WO-OUTAGE-${round}`;
      bench.order(wo, ns);
      for (const n of ns) {
        if (round === 0 && n % 25 === 0) {
          bench.flash(wo, n, 'FAILED');
          bench.stores.settlement.confirmScrap(deviceIdOf(n), 'tech');
        } else bench.flash(wo, n, round === 0 || (round === 1 && n % 25 === 0) ? 'REFLASHED' : 'ALREADY_CURRENT');
        await vi.advanceTimersByTimeAsync(spacing);
        await realTick(0);
      }
      bench.returnReady(wo);
    }
    expect(bench.stores.outbox.summary()).toMatchObject({ pending: ROUNDS * DEVICES, delivered: 0, dead: 0 });
    const probesDuringOutage = server.received.length; // refused connections never reach the server
    expect(probesDuringOutage).toBe(0);
    const backoffLines = log.filter((l) => l.includes('backing off')).length;
    expect(backoffLines).toBeGreaterThan(20); // it kept probing through the hour,
    expect(backoffLines).toBeLessThan(200); // but at the capped backoff, not in a storm

    // The N3 client comes back, flaky.
    server.options.plan = (r) => flaky(r.seq);
    await server.up();
    const deadline = Date.now() + HOUR_MS;
    for (let guard = 0; bench.stores.outbox.summary().delivered < ROUNDS * DEVICES; guard++) {
      if (guard > 20_000 || Date.now() > deadline) throw new Error(`stuck: ${JSON.stringify(bench.stores.outbox.summary())}`);
      await vi.advanceTimersByTimeAsync(1000);
      await realTick(2);
    }

    // Every result reached the server, exactly once as an acceptance, with the content stored for its key.
    const stored = bench.db
      .prepare('SELECT id, idempotency_key AS key, device_id AS deviceId, payload_json AS body FROM n3_outbox ORDER BY id')
      .all() as Array<{
      id: number;
      key: string;
      deviceId: string;
      body: string;
    }>;
    expect(stored).toHaveLength(1000);
    expect(server.acceptances).toHaveLength(1000);
    expect(server.acceptedKeys).toEqual(new Set(stored.map((s) => s.key)));
    const bodyOf = new Map(stored.map((s) => [s.key, s.body]));
    for (const request of server.received) expect(request.body, request.key).toBe(bodyOf.get(request.key!));
    expect(server.received.some((r) => r.answer === 422 || r.answer === 400)).toBe(false);
    expect(server.received.filter((r) => r.answer === 'dropped').length).toBeGreaterThan(10); // re-sends happened

    // In order per Device ID: the server accepted each device's rows in the order they were committed.
    const committedOrder = new Map<string, string[]>();
    for (const s of stored) committedOrder.set(s.deviceId, [...(committedOrder.get(s.deviceId) ?? []), s.key]);
    const acceptedOrder = new Map<string, string[]>();
    for (const a of server.acceptances) acceptedOrder.set(a.deviceId, [...(acceptedOrder.get(a.deviceId) ?? []), a.key]);
    expect(acceptedOrder).toEqual(committedOrder);
    expect([...committedOrder.values()].every((keys) => keys.length === ROUNDS)).toBe(true);
    expect(server.acceptances.filter((a) => (JSON.parse(a.body) as { outcome: string }).outcome === 'SCRAP')).toHaveLength(DEVICES / 25);
  });
});
