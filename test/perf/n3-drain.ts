import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { N3Drainer } from '../../src/upstream/n3-drainer.js';
import { N3HttpTransport } from '../../src/upstream/n3-http-transport.js';
import { DEFAULT_RETRY_POLICY } from '../../src/upstream/retry-policy.js';
import { MockN3Server } from '../helpers/mock-n3-server.js';
import { OutboxBench } from '../helpers/outbox-bench.js';

/**
 * Drain throughput: `npx tsx test/perf/n3-drain.ts [notifications] [concurrency]`. Queues the
 * notifications (one setup transaction), then times the real drainer and HTTP transport against
 * the local mock N3 server. The limits it is compared with, measured in the same run: the
 * synchronous=FULL commit rate of this disk (each delivery is one such commit) and the rate of
 * bare POSTs to the same server at the same concurrency.
 */
const count = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'flashd-n3-perf-'));
const server = new MockN3Server();
await server.up();
const bench = await OutboxBench.open(join(dir, 'perf.db'));
const hubs = Array.from({ length: count }, (_, i) => i);
bench.db.transaction(() => {
  bench.order('WO-PERF', hubs);
  for (const n of hubs) bench.flash('WO-PERF', n, 'REFLASHED');
})();

const commitsPerSecond = (() => {
  bench.db.exec('CREATE TABLE perf_probe (n INTEGER)');
  const insert = bench.db.prepare('INSERT INTO perf_probe VALUES (?)');
  const t0 = performance.now();
  for (let i = 0; i < 300; i++) insert.run(i);
  return 300 / ((performance.now() - t0) / 1000);
})();

const postsPerSecond = await (async () => {
  const transport = new N3HttpTransport({ url: server.url, maxSockets: concurrency });
  const n = Math.min(count, 1000);
  let next = 0;
  const t0 = performance.now();
  const signal = new AbortController().signal;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await transport.send({ idempotencyKey: `probe-key-${String(next++).padStart(8, '0')}`, body: '{"deviceId":"probe"}' }, signal);
    }),
  );
  transport.close();
  return n / ((performance.now() - t0) / 1000);
})();

const drainer = new N3Drainer({
  outbox: bench.stores.outbox,
  transport: new N3HttpTransport({ url: server.url, maxSockets: concurrency }),
  policy: DEFAULT_RETRY_POLICY,
  concurrency,
  log: pino({ level: 'silent' }),
});
const t0 = performance.now();
drainer.start();
while (bench.stores.outbox.summary().delivered < count) await new Promise((r) => setTimeout(r, 5));
const seconds = (performance.now() - t0) / 1000;
await drainer.stop();
const rate = count / seconds;
console.log(
  JSON.stringify({
    notifications: count,
    concurrency,
    seconds: Number(seconds.toFixed(2)),
    deliveredPerSecond: Math.round(rate),
    fullCommitsPerSecond: Math.round(commitsPerSecond),
    barePostsPerSecond: Math.round(postsPerSecond),
    ratioToCommitLimit: Number((rate / commitsPerSecond).toFixed(2)),
    ratioToPostLimit: Number((rate / postsPerSecond).toFixed(2)),
  }),
);
bench.close();
await server.down();
rmSync(dir, { recursive: true, force: true });
