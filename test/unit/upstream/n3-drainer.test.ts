import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { N3Drainer } from '../../../src/upstream/n3-drainer.js';
import { N3HttpTransport } from '../../../src/upstream/n3-http-transport.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../../src/upstream/retry-policy.js';
import { MockN3Server, type N3Fault } from '../../helpers/mock-n3-server.js';
import { OutboxBench } from '../../helpers/outbox-bench.js';

const TOKEN = 'test-token-0123456789';
const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, minTimeoutMs: 1000, maxTimeoutMs: 60_000, jitter: 0 };

describe('N3 drainer against a local N3 server', () => {
  let bench: OutboxBench;
  let server: MockN3Server;
  let drainer: N3Drainer;
  let now: number;
  const faults = new Map<number, N3Fault>(); // by request sequence number

  const row = (id: number) => bench.stores.outbox.get(id)!;
  const ids = () => (bench.db.prepare('SELECT id FROM n3_outbox ORDER BY id').all() as { id: number }[]).map((r) => r.id);

  beforeEach(async () => {
    bench = await OutboxBench.open(join(mkdtempSync(join(tmpdir(), 'flashd-drain-')), 'f.db'));
    server = new MockN3Server({ token: TOKEN, plan: (r) => faults.get(r.seq) });
    await server.up();
    now = Date.parse('2026-11-28T12:00:00Z');
    drainer = new N3Drainer({
      outbox: bench.stores.outbox,
      transport: new N3HttpTransport({ url: server.url, token: TOKEN, requestTimeoutMs: 2000 }),
      policy,
      log: pino({ level: 'silent' }),
      now: () => now,
      random: () => 0,
    });
  });
  afterEach(async () => {
    faults.clear();
    await drainer.stop();
    await server.down();
    bench.close();
  });

  it('POSTs the stored bytes with Idempotency-Key and bearer token; delivered only on an acknowledgement', async () => {
    bench.order('WO-1', [0, 1]);
    bench.flash('WO-1', 0, 'REFLASHED');
    bench.flash('WO-1', 1, 'ALREADY_CURRENT');
    expect(await drainer.pass()).toMatchObject({ sent: 2, delivered: 2 });
    for (const id of ids()) {
      const r = row(id);
      expect(r).toMatchObject({ state: 'DELIVERED', attempts: 1, lastStatus: 201 });
      const got = server.received.find((q) => q.key === r.idempotencyKey)!;
      expect(got.authorization).toBe(`Bearer ${TOKEN}`);
      expect(got.body).toBe(bench.db.prepare('SELECT payload_json AS j FROM n3_outbox WHERE id = ?').pluck().get(id));
    }
    expect(await drainer.pass()).toMatchObject({ sent: 0 });
  });

  it('re-sends after the connection drops once the server processed it, and the server accepts the key once', async () => {
    bench.order('WO-1', [2]);
    bench.flash('WO-1', 2, 'REFLASHED');
    faults.set(1, { kind: 'drop-after' });
    expect(await drainer.pass()).toMatchObject({ sent: 1, delivered: 0, retried: 1 });
    const [id] = ids();
    expect(row(id!)).toMatchObject({ state: 'PENDING', attempts: 1, lastErrorCode: 'N3_UNREACHABLE' });
    expect(await drainer.pass()).toMatchObject({ sent: 0 }); // not due before its backoff
    now += 1000;
    expect(await drainer.pass()).toMatchObject({ sent: 1, delivered: 1 });
    expect(server.received.map((r) => r.answer)).toEqual(['dropped', 201]);
    expect(server.received[0]!.body).toBe(server.received[1]!.body);
    expect(server.acceptances).toHaveLength(1);
  });

  it('waits while the server still processes the key (409), then gets the stored answer', async () => {
    bench.order('WO-1', [3]);
    bench.flash('WO-1', 3, 'REFLASHED');
    drainer = new N3Drainer({
      outbox: bench.stores.outbox,
      transport: new N3HttpTransport({ url: server.url, token: TOKEN, requestTimeoutMs: 100 }),
      policy,
      log: pino({ level: 'silent' }),
      now: () => now,
      random: () => 0,
    });
    faults.set(1, { kind: 'slow', ms: 800 });
    expect(await drainer.pass()).toMatchObject({ retried: 1 }); // our timeout: the server is still working
    now += 1000;
    expect(await drainer.pass()).toMatchObject({ retried: 1 });
    expect(row(ids()[0]!)).toMatchObject({ lastStatus: 409, lastErrorCode: 'N3_RETRY_LATER' });
    await new Promise((r) => setTimeout(r, 850));
    now += 2000;
    expect(await drainer.pass()).toMatchObject({ delivered: 1 });
    expect(server.acceptances).toHaveLength(1);
  });

  it('honours Retry-After in seconds and as an HTTP-date on 429 and 503', async () => {
    bench.order('WO-1', [4, 5]);
    bench.flash('WO-1', 4, 'REFLASHED');
    bench.flash('WO-1', 5, 'REFLASHED');
    faults.set(1, { kind: 'status', status: 429, retryAfter: '30' });
    faults.set(2, { kind: 'status', status: 503, retryAfter: new Date(now + 90_000).toUTCString() });
    drainer = new N3Drainer({
      outbox: bench.stores.outbox,
      transport: new N3HttpTransport({ url: server.url, token: TOKEN }),
      policy,
      log: pino({ level: 'silent' }),
      now: () => now,
      concurrency: 1,
    });
    expect(await drainer.pass()).toMatchObject({ retried: 2, retryAfterMs: 90_000 });
    const [a, b] = ids();
    expect(bench.db.prepare('SELECT next_attempt_ms FROM n3_outbox ORDER BY id').pluck().all()).toEqual([now + 30_000, now + 90_000]);
    expect(row(a!)).toMatchObject({ lastStatus: 429, lastErrorCode: 'N3_RETRY_LATER' });
    now += 30_000;
    expect(await drainer.pass()).toMatchObject({ sent: 1, delivered: 1 });
    now += 60_000;
    expect(await drainer.pass()).toMatchObject({ sent: 1, delivered: 1 });
    expect(row(b!).state).toBe('DELIVERED');
  });

  it('backs a failing row off exponentially, and a 2xx that does not acknowledge the key is not a delivery', async () => {
    bench.order('WO-1', [6]);
    bench.flash('WO-1', 6, 'REFLASHED');
    faults.set(1, { kind: 'status', status: 500 });
    faults.set(2, { kind: 'status', status: 502 });
    faults.set(3, { kind: 'status', status: 200, body: { ok: true } });
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await drainer.pass();
      const next = bench.db.prepare('SELECT next_attempt_ms FROM n3_outbox').pluck().get() as number;
      waits.push(next - now);
      now = next;
    }
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(row(ids()[0]!)).toMatchObject({ state: 'PENDING', attempts: 3, lastErrorCode: 'N3_ACK_INVALID' });
    expect(await drainer.pass()).toMatchObject({ delivered: 1 });
  });

  it('dead-letters a 422 with its reason; later rows of that Device ID wait, others go; a re-queue delivers in order', async () => {
    for (const wo of ['WO-1', 'WO-2']) {
      bench.order(wo, [7, 8]);
      bench.flash(wo, 7, wo === 'WO-1' ? 'REFLASHED' : 'ALREADY_CURRENT');
      bench.flash(wo, 8, wo === 'WO-1' ? 'REFLASHED' : 'ALREADY_CURRENT');
      bench.returnReady(wo);
    }
    const [a1, b1, a2, b2] = ids();
    server.options.plan = (r) =>
      r.key === row(a1!).idempotencyKey && r.seq < 10 ? { kind: 'reject', status: 422, message: 'hardwareVersion out of range' } : undefined;
    await drainer.pass();
    await drainer.pass();
    expect(row(a1!)).toMatchObject({
      state: 'DEAD',
      deadReason: 'HTTP 422: INVALID hardwareVersion out of range',
      lastStatus: 422,
      lastErrorCode: 'N3_REJECTED',
    });
    expect([row(b1!).state, row(b2!).state, row(a2!).state]).toEqual(['DELIVERED', 'DELIVERED', 'PENDING']);
    expect(await drainer.pass()).toMatchObject({ sent: 0 });
    server.options.plan = undefined; // fixed upstream
    bench.stores.outbox.requeue(a1!, 'tech', 'now');
    await drainer.pass();
    await drainer.pass();
    expect([row(a1!).state, row(a2!).state]).toEqual(['DELIVERED', 'DELIVERED']);
    const device7 = server.acceptances.filter((x) => x.deviceId === row(a1!).deviceId).map((x) => x.key);
    expect(device7).toEqual([row(a1!).idempotencyKey, row(a2!).idempotencyKey]);
  });

  it('keeps retrying on 401 (a configuration problem, not this notification) and on a refused connection', async () => {
    bench.order('WO-1', [9]);
    bench.flash('WO-1', 9, 'REFLASHED');
    server.options.token = 'another-token-entirely';
    await drainer.pass();
    expect(row(ids()[0]!)).toMatchObject({ state: 'PENDING', lastStatus: 401, lastErrorCode: 'N3_REFUSED' });
    await server.down();
    now += 10_000;
    await drainer.pass();
    expect(row(ids()[0]!)).toMatchObject({
      state: 'PENDING',
      lastStatus: null,
      lastErrorCode: 'N3_UNREACHABLE',
      lastError: expect.stringMatching(/ECONNREFUSED|ECONNRESET/),
    });
  });
});
