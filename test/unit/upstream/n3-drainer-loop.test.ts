import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboxItem } from '../../../src/store/outbox-records.js';
import type { N3Answer } from '../../../src/upstream/n3-answer.js';
import { N3Drainer } from '../../../src/upstream/n3-drainer.js';
import { DEFAULT_RETRY_POLICY } from '../../../src/upstream/retry-policy.js';

/** An in-memory outbox with the store's contract: one head per Device ID, due by next try. */
function memoryOutbox() {
  const rows: Array<OutboxItem & { state: string; next: number }> = [];
  let dueCalls = 0;
  const heads = () => rows.filter((r) => r.state === 'PENDING' && !rows.some((p) => p.deviceId === r.deviceId && p.id < r.id && p.state !== 'DELIVERED'));
  return {
    rows,
    get dueCalls() {
      return dueCalls;
    },
    add(deviceId: string) {
      rows.push({
        id: rows.length + 1,
        idempotencyKey: `key-${rows.length + 1}-0000000000`,
        deviceId,
        payloadJson: '{}',
        attempts: 0,
        state: 'PENDING',
        next: 0,
      });
    },
    due: (now: number, limit: number) => (
      dueCalls++,
      heads()
        .filter((r) => r.next <= now)
        .slice(0, limit)
    ),
    nextDueMs: () => (heads().length ? Math.min(...heads().map((r) => r.next)) : undefined),
    markDelivered: (id: number) => void (rows[id - 1]!.state = 'DELIVERED'),
    markRetry: (id: number, _a: unknown, next: number) => void Object.assign(rows[id - 1]!, { next, attempts: rows[id - 1]!.attempts + 1 }),
    markDead: (id: number) => void (rows[id - 1]!.state = 'DEAD'),
  };
}

/** An N3 client that accepts every notification, noting its key in `sent`. */
function acceptingTransport(sent: string[]) {
  return {
    send: async (r: { idempotencyKey: string }): Promise<N3Answer> => (
      sent.push(r.idempotencyKey),
      { kind: 'response', status: 201, retryAfter: undefined, body: JSON.stringify({ idempotencyKey: r.idempotencyKey }) }
    ),
    close: () => undefined,
  };
}

describe('N3 drainer loop (fake timers)', () => {
  let drainer: N3Drainer | undefined;
  afterEach(async () => {
    await drainer?.stop();
    vi.useRealTimers();
  });

  it('idles at the poll interval without spinning, and a new row wakes it at once', async () => {
    vi.useFakeTimers();
    const outbox = memoryOutbox();
    const sent: string[] = [];
    const transport = acceptingTransport(sent);
    drainer = new N3Drainer({ outbox, transport, policy: DEFAULT_RETRY_POLICY, pollIntervalMs: 1000, log: pino({ level: 'silent' }) });
    drainer.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(outbox.dueCalls).toBeGreaterThanOrEqual(10);
    expect(outbox.dueCalls).toBeLessThanOrEqual(12);
    outbox.add('D1');
    drainer.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['key-1-0000000000']);
  });

  it('backs off while the N3 client is down and is not woken early by new rows', async () => {
    vi.useFakeTimers();
    const outbox = memoryOutbox();
    const passes = new Set<number>(); // the fake times at which requests went out
    const transport = { send: async (): Promise<N3Answer> => (passes.add(Date.now()), { kind: 'error', message: 'ECONNREFUSED' }), close: () => undefined };
    const policy = { ...DEFAULT_RETRY_POLICY, minTimeoutMs: 1000, maxTimeoutMs: 8000, jitter: 0 };
    drainer = new N3Drainer({ outbox, transport, policy, pollIntervalMs: 100, log: pino({ level: 'silent' }), random: () => 0 });
    outbox.add('D1');
    drainer.start();
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes.size).toBe(1);
    for (let i = 0; i < 50; i++) {
      outbox.add(`N${i}`);
      drainer.wake();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(passes.size).toBe(1); // 50 wakes during the first 1 s backoff: none got through
    await vi.advanceTimersByTimeAsync(60_000 - 500);
    // Backoff 1, 2, 4, 8, then 8 s (the cap): passes at 0, 1, 3, 7, 15, 23, 31, 39, 47, 55 s.
    expect([...passes].map((t) => Math.round((t - t0) / 1000))).toEqual([0, 1, 3, 7, 15, 23, 31, 39, 47, 55]);
    expect(outbox.rows.every((r) => r.state === 'PENDING')).toBe(true);
  });
});

describe('N3 drainer and the store’s durability', () => {
  it('sends no row before the commits it came with are on disk, and none when the disk failed', async () => {
    const outbox = memoryOutbox();
    outbox.add('00-DB-12-00-00-00-00-01');
    const sent: string[] = [];
    const transport = acceptingTransport(sent);
    let onDisk: (err?: Error) => void = () => undefined;
    const synced = () => new Promise<void>((resolve, reject) => (onDisk = (err) => (err ? reject(err) : resolve())));
    const drainer = new N3Drainer({ outbox, transport, policy: DEFAULT_RETRY_POLICY, log: pino({ level: 'silent' }), synced });
    const pass = drainer.pass();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    onDisk();
    expect(await pass).toMatchObject({ sent: 1, delivered: 1 });
    expect(sent).toHaveLength(1);
    outbox.add('00-DB-12-00-00-00-00-02');
    const failing = drainer.pass();
    onDisk(new Error('STORE_WRITE_FAILED'));
    await expect(failing).rejects.toThrow('STORE_WRITE_FAILED');
    expect(sent).toHaveLength(1);
    await drainer.stop();
  });
});
