import { writeSync } from 'node:fs';
import { pino } from 'pino';
import { openDatabase } from '../../src/store/open-database.js';
import { createStores } from '../../src/store/stores.js';
import { N3Reporter } from '../../src/upstream/n3-reporter.js';
import { DEFAULT_RETRY_POLICY } from '../../src/upstream/retry-policy.js';
import { loadCatalog, OutboxBench, type PlannedResult } from './outbox-bench.js';

/**
 * The crash test's child (test/fault/n3-crash.test.ts): the store, the real N3 reporter (sink,
 * drainer, HTTP transport) and a driver that moves hubs through the process with the same store
 * calls the bench makes, one step per event-loop turn so the drainer runs alongside. It prints
 * `READY`, then `ACK …` after each committed final outcome (written synchronously, so an ACK the
 * parent read was committed first). CRASH_MODE=drain sends what is queued and exits 0 when nothing
 * is pending. The parent kills it with SIGKILL at random moments. It opens the store only after
 * `GO` on stdin when CRASH_WAIT_GO=1.
 */
const env = process.env;
const mode = env.CRASH_MODE === 'drain' ? 'drain' : 'work';
const run = env.CRASH_RUN ?? '0';
const say = (line: string): void => void writeSync(1, `${line}\n`);

// Not validateConfig: TypeBox's checker costs ~0.4 s of start-up per run, and this is config the test controls.
const n3 = {
  url: env.CRASH_N3_URL!,
  reportRejected: false,
  batchSize: 20,
  concurrency: 4,
  requestTimeoutMs: 2000,
  pollIntervalMs: 50,
  summaryIntervalMs: 60_000,
  retry: { ...DEFAULT_RETRY_POLICY, minTimeoutMs: 20, maxTimeoutMs: 200, deadLetterStatusCodes: [400, 422] },
};
const catalog = await loadCatalog();
// Pre-warmed: the parent starts the next child while this one's predecessor still runs, and says GO
// once that one is dead. Start-up (tsx, imports, the catalogue) then costs the test nothing.
if (env.CRASH_WAIT_GO === '1') await new Promise((resolve) => process.stdin.once('data', resolve));
const db = openDatabase(env.CRASH_DB!);
const reporter = new N3Reporter({
  db,
  n3,
  transport: { url: n3.url, token: env.CRASH_TOKEN, requestTimeoutMs: n3.requestTimeoutMs },
  catalogue: catalog,
  log: pino({ level: 'silent' }),
});
const stores = createStores(db, { sinks: [reporter.sink] });
stores.flash.recoverUnfinished();
reporter.start();
say('READY');

if (mode === 'drain') {
  for (;;) {
    const s = stores.outbox.summary();
    if (s.dead > 0) throw new Error(`dead letters: ${JSON.stringify(s)}`);
    if (s.pending === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await reporter.stop();
  say('DRAINED');
  db.close();
} else {
  await work();
}

async function work(): Promise<never> {
  const bench = new OutboxBench(db, stores, catalog);
  const POOL = Array.from({ length: 40 }, (_, i) => 1000 + i);
  const byDevice = new Map(POOL.map((n) => [bench.identity(n).deviceId as string, n]));
  let seed = Number(run) * 7919 + 1;
  const random = (): number => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) % 10_000) / 10_000;
  const live = db.prepare<
    [],
    { wo: string; deviceId: string; state: string }
  >(`SELECT h.work_order_id AS wo, h.device_id AS deviceId, h.state FROM work_order_hubs h
    JOIN work_orders w ON w.id = h.work_order_id WHERE w.state = 'OPEN' AND h.state NOT IN ('RETURNED', 'SCRAPPED', 'NOT_RECEIVED') ORDER BY h.work_order_id, h.line`);
  let orders = 0;
  for (;;) {
    const hubs = live.all();
    if (hubs.length === 0) {
      bench.order(
        `WO-R${run}-${Date.now().toString(36)}-${++orders}`,
        POOL.filter(() => random() < 0.3),
      );
      continue;
    }
    const hub = hubs[Math.floor(random() * hubs.length)]!;
    const n = byDevice.get(hub.deviceId)!;
    switch (hub.state) {
      case 'EXPECTED':
        stores.intake.scan({ deviceId: hub.deviceId, operatorId: 'tech', workOrderId: hub.wo });
        break;
      case 'SCRAP_PROPOSED':
        stores.settlement.confirmScrap(hub.deviceId, 'tech');
        say(`ACK scrap ${hub.wo} ${hub.deviceId} SCRAPPED`);
        break;
      case 'FAILED':
      case 'ACCEPTED': {
        if (hub.state === 'FAILED' && random() < 0.3) {
          stores.settlement.confirmScrap(hub.deviceId, 'tech'); // a technician gives up on it
          say(`ACK scrap ${hub.wo} ${hub.deviceId} SCRAPPED`);
          break;
        }
        const r = random();
        const result: PlannedResult = r < 0.55 ? 'REFLASHED' : r < 0.7 ? 'ALREADY_CURRENT' : r < 0.95 ? 'FAILED' : 'REJECTED';
        const attemptId = bench.flash(hub.wo, n, result, { jigId: 'JIG-1', slot: 1 + (n % 8) });
        say(`ACK ${attemptId} ${hub.wo} ${hub.deviceId} ${stores.workOrders.hubs(hub.wo).find((h) => h.deviceId === hub.deviceId)!.state}`);
        break;
      }
      case 'REFLASHED':
      case 'ALREADY_CURRENT':
      case 'REJECTED':
        bench.returnReady(hub.wo);
        break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}
