import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { N3Reporter } from '../../../src/upstream/n3-reporter.js';
import { MockN3Server, type N3Fault } from '../../helpers/mock-n3-server.js';
import { OutboxBench } from '../../helpers/outbox-bench.js';

const CANARY = 'canary-7d1e0f-BEARER-TOKEN-do-not-log';

/**
 * A run with a canary token through every path that logs: refused credentials (401), a rejection
 * whose body echoes the Authorization header back, dropped answers, a timeout, refused
 * connections, dead letters, the summary line, debug lines per notification, and errors and config
 * objects with the token attached. The captured pino output (the daemon's own logger and its
 * redaction paths) must not contain it anywhere, nor may the store.
 */
describe('the N3 bearer token', () => {
  let bench: OutboxBench | undefined;
  let server: MockN3Server | undefined;
  let reporter: N3Reporter | undefined;
  afterEach(async () => {
    await reporter?.stop();
    await server?.down();
    bench?.close();
  });

  it('never reaches a log line or the store, on any error path', async () => {
    let out = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) });
    const log = createLogger('trace', sink);
    const faults: N3Fault[] = [
      { kind: 'status', status: 401, body: { error: { message: `token Bearer ${CANARY} is not valid` } } },
      { kind: 'reject', status: 400, message: `bad request; headers were authorization: Bearer ${CANARY}` },
      { kind: 'drop-after' },
      { kind: 'slow', ms: 300 },
      { kind: 'status', status: 503, retryAfter: '0' },
    ];
    server = new MockN3Server({ plan: (r) => faults[r.seq - 1] });
    await server.up();
    bench = await OutboxBench.open(join(mkdtempSync(join(tmpdir(), 'flashd-canary-')), 'f.db'));
    const { upstream } = validateConfig(
      {
        upstream: {
          mode: 'n3',
          n3: { url: server.url, token: CANARY, concurrency: 1, pollIntervalMs: 20, summaryIntervalMs: 1000, retry: { minTimeoutMs: 10, maxTimeoutMs: 40 } },
        },
      },
      'canary',
    );
    log.info({ config: { upstream } }, 'config as a careless caller might log it');
    log.error(
      {
        err: Object.assign(new Error('request failed'), {
          headers: { authorization: `Bearer ${CANARY}` },
          config: { headers: { Authorization: `Bearer ${CANARY}` } },
        }),
      },
      'a failing request with headers attached',
    );
    reporter = new N3Reporter({
      db: bench.db,
      n3: upstream.n3,
      transport: { url: server.url, token: CANARY, requestTimeoutMs: 100 },
      catalogue: bench.catalog,
      log,
    });
    bench.order('WO-1', [0, 1, 2, 3]);
    for (const n of [0, 1, 2, 3]) bench.flash('WO-1', n, 'REFLASHED');
    reporter.start();
    const deadline = Date.now() + 10_000;
    while (bench.stores.outbox.summary().pending > 0 || !out.includes('n3 outbox summary')) {
      if (Date.now() > deadline) throw new Error(`not drained: ${JSON.stringify(bench.stores.outbox.summary())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await server.down();
    bench.order('WO-2', [4]);
    bench.flash('WO-2', 4, 'REFLASHED');
    await new Promise((r) => setTimeout(r, 150)); // refused connections, backing off
    await reporter.stop();
    reporter = undefined;

    expect(server.received.filter((r) => r.authorization === `Bearer ${CANARY}`).length).toBeGreaterThanOrEqual(faults.length); // it was sent
    for (const line of [
      'n3 client refused the request',
      'n3 notification dead-lettered',
      'n3 notification not delivered',
      'backing off',
      'n3 outbox summary',
    ]) {
      expect(out, line).toContain(line);
    }
    expect(out).toContain('[redacted]');
    expect(out).not.toContain(CANARY);
    expect(out).not.toContain('canary-7d1e0f');
    const stored = bench.db
      .prepare("SELECT group_concat(coalesce(last_error, '') || coalesce(dead_reason, '') || payload_json) FROM n3_outbox")
      .pluck()
      .get() as string;
    expect(stored).toContain('HTTP 400');
    expect(stored).not.toContain(CANARY);
  });
});
