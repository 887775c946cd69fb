import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.js';
import { FlashdMetrics } from '../../src/api/metrics.js';
import { Bench, type BenchEvents } from '../../src/bench/bench.js';
import { SessionPool } from '../../src/bench/session-pool.js';
import { validateConfig, type Config } from '../../src/config/index.js';
import { ImageCatalog } from '../../src/images/index.js';
import { createStores, openDatabase, type Db, type Stores } from '../../src/store/index.js';
import { demoUnlockKeys, type HubSpec, type JigAddresses } from '../../jig-sim/index.js';

export interface PerfDaemonOptions {
  catalogDir: string;
  trustedKeyFile: string;
  jigs: JigAddresses[];
  /** Every hub the run will see, taken in on one work order before the bench starts. */
  stock: readonly HubSpec[];
  config?: Record<string, unknown>;
}

/**
 * The daemon as main.ts wires it (catalogue, store on a real file, piscina pool, bench), minus the
 * HTTP listener, in this process: its main thread is the one whose event-loop lag and memory the
 * benchmark reports.
 */
export class PerfDaemon {
  readonly dir = mkdtempSync(join(tmpdir(), 'flashd-perf-'));
  readonly config: Config;
  db!: Db;
  stores!: Stores;
  pool!: SessionPool;
  bench!: Bench;
  readonly #o: PerfDaemonOptions;
  #app: FastifyInstance | undefined;
  #isKnownModel: (model: string) => boolean = () => false;

  constructor(options: PerfDaemonOptions) {
    this.#o = options;
    this.config = validateConfig({ simulator: { enabled: false }, log: { level: 'silent' }, process: { maxAttempts: 20 }, ...options.config }, 'perf config');
  }

  async start(onFinished: (event: BenchEvents['finished'][0]) => void): Promise<void> {
    const catalog = await ImageCatalog.load({ dir: this.#o.catalogDir, trustedKeyFiles: [this.#o.trustedKeyFile] });
    const isKnownModel = catalog.hasModel;
    this.#isKnownModel = isKnownModel;
    this.db = openDatabase(join(this.dir, 'flashd.db'));
    this.stores = createStores(this.db, { maxAttempts: this.config.process.maxAttempts });
    const hubs = this.#o.stock.map((h) => ({ deviceId: h.deviceId, model: h.model, firmwareVersion: h.firmwareVersion, smiStatus: h.smiStatus }));
    this.stores.workOrders.create({ id: 'WO-PERF', secPartyId: 'PARTY-PERF', cspRegion: 'South', source: 'api', operatorId: 'perf' }, { hubs }, isKnownModel);
    for (const hub of hubs) this.stores.intake.scan({ deviceId: hub.deviceId, operatorId: 'perf', workOrderId: 'WO-PERF' });
    const unlockKeys = demoUnlockKeys();
    this.pool = new SessionPool({ maxThreads: this.config.sessions.maxThreads, concurrentTasksPerThread: this.config.sessions.concurrentTasksPerThread, unlockKeys });
    this.bench = new Bench({
      benchId: this.config.benchId,
      jigs: this.#o.jigs.map((a) => ({ id: a.id, control: a.control, slots: a.slots, baudRate: 115_200 })),
      sessions: this.config.sessions,
      jigTimeoutMs: this.config.jigTimeoutMs,
      catalog,
      store: this.stores.flash,
      workOrders: this.stores.workOrders,
      process: this.config.process,
      pool: this.pool,
      log: pino({ level: 'silent' }),
    });
    this.bench.on('finished', onFinished);
    await this.bench.start();
  }

  /** The status API as main.ts serves it, on 127.0.0.1 at a free port; its base URL. */
  async listenApi(): Promise<string> {
    const metrics = new FlashdMetrics({ bench: this.bench, outbox: this.stores.outbox, n3Enabled: false, processMetrics: false });
    this.bench.on('finished', (end) => metrics.observe(end));
    this.#app = await buildApp({ benchId: this.config.benchId, bench: this.bench, store: this.stores.flash, ...this.stores, isKnownModel: this.#isKnownModel, metrics, log: pino({ level: 'silent' }) });
    await this.#app.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(this.#app.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    await this.#app?.close();
    await this.bench?.stop();
    await this.pool?.close();
    this.db?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
