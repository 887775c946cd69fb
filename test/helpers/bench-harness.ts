import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from '../../src/api/app.js';
import { FlashdMetrics } from '../../src/api/metrics.js';
import { Bench, type BenchEvents } from '../../src/bench/bench.js';
import { SessionPool } from '../../src/bench/session-pool.js';
import { validateConfig, type Config, type JigConfig } from '../../src/config/index.js';
import { ImageCatalog } from '../../src/images/index.js';
import type { CspRegion } from '../../src/domain/work-order.js';
import { createStores, openDatabase, type Db, type FlashStore, type Stores } from '../../src/store/index.js';
import { DEFAULT_HUB_PROFILE, Simulator, demoUnlockKeys, generateStock, type HubSpec, type HubTimingProfile, type JigAddresses, type LinkTiming } from '../../jig-sim/index.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';

/** How the daemon reaches the simulator: `sim://` streams, `socket://` (ser2net-like) or real PTYs via socat. */
export type Transport = 'in-process' | 'tcp' | 'pty';

export interface HarnessOptions {
  transport?: Transport;
  jigs?: number;
  stock?: HubSpec[];
  hubs?: number;
  seed?: string;
  profile?: Readonly<HubTimingProfile>;
  /** Per-hub profile, e.g. `profileByModel` or a hub that locks out sooner; overrides `profile`. */
  profileFor?: (spec: HubSpec) => Readonly<HubTimingProfile>;
  /**
   * Put the stock on a work order and take every hub in at intake before the bench starts, as the
   * back-office and goods-in would. Without it the slots refuse the hubs (HUB_NOT_ON_WORK_ORDER).
   */
  workOrder?: boolean | { id?: string; secPartyId?: string; cspRegion?: CspRegion };
  /** Link timing of every simulated line (pacing, latency); default instant. */
  timing?: LinkTiming;
  /** Hubs on the work order too, but kept out of the slots in the simulator's stock (a test or a technician inserts them later). */
  reserve?: HubSpec[];
  /** Overrides merged into the default config (validated like a config file). */
  config?: Record<string, unknown>;
  unlockKeys?: Map<string, Uint8Array>;
  log?: Logger;
  /** Period of the bench's slot reconciliation against each jig; default the bench's. */
  jigReconcileMs?: number;
}

/**
 * A whole bench for tests: simulator, real SQLite file in a temp dir, real piscina workers, the
 * real bench. Everything the daemon wires in main.ts except the HTTP listener.
 */
export class BenchHarness {
  readonly dir = mkdtempSync(join(tmpdir(), 'flashd-test-'));
  readonly simulator: Simulator;
  readonly config: Config;
  readonly log: Logger;
  db!: Db;
  stores!: Stores;
  store!: FlashStore;
  readonly stock: HubSpec[];
  pool!: SessionPool;
  bench!: Bench;
  metrics!: FlashdMetrics;
  catalog!: ImageCatalog;
  jigs: JigConfig[] = [];
  readonly results: BenchEvents['finished'][0][] = [];
  readonly #options: HarnessOptions;
  #app: FastifyInstance | undefined;
  #started = false;

  constructor(options: HarnessOptions = {}) {
    this.#options = options;
    const profile = options.profile ?? DEFAULT_HUB_PROFILE;
    this.simulator = new Simulator({ jigs: options.jigs ?? 1, profileFor: options.profileFor ?? (() => profile), ...(options.timing ? { timing: options.timing } : {}) });
    const loaded = options.stock ?? generateStock({ seed: options.seed ?? 'test', count: options.hubs ?? 8 });
    this.stock = [...loaded, ...(options.reserve ?? [])];
    this.simulator.load(loaded);
    this.simulator.addStock(options.reserve ?? []);
    this.config = validateConfig({ simulator: { enabled: false }, ...options.config }, 'test config');
    this.log = options.log ?? pino({ level: 'silent' });
  }

  get dbPath(): string {
    return join(this.dir, 'flashd.db');
  }

  async start(): Promise<this> {
    this.catalog = await ImageCatalog.load({
      dir: join(PACKAGE_ROOT, 'firmware-images'),
      trustedKeyFiles: [join(PACKAGE_ROOT, 'firmware-images/keys/demo-signing.pub.pem')],
    });
    const transport = this.#options.transport ?? 'tcp';
    let addresses: JigAddresses[];
    if (transport === 'tcp') addresses = await this.simulator.listenTcp();
    else if (transport === 'pty') addresses = await this.simulator.listenPty({ dir: join(this.dir, 'pty') });
    else addresses = this.simulator.inProcessAddresses();
    this.jigs = addresses.map((a) => ({ id: a.id, control: a.control, slots: a.slots, baudRate: 115_200 }));
    await this.#startDaemon();
    return this;
  }

  /**
   * Stops the daemon side (bench, worker pool, database) and starts a new one on the same store and
   * the same simulated hubs, as a restart of flashd would. `crash` terminates the session threads
   * first, so no session reaches a safe point or says goodbye to its hub.
   */
  async restartDaemon(options: { crash: boolean }): Promise<void> {
    if (options.crash) await this.pool.close();
    await this.bench.stop();
    await this.pool.close();
    this.db.close();
    this.#app = undefined;
    await this.#startDaemon();
  }

  async #startDaemon(): Promise<void> {
    const transport = this.#options.transport ?? 'tcp';
    this.db = openDatabase(this.dbPath);
    this.stores = createStores(this.db, { maxAttempts: this.config.process.maxAttempts });
    this.store = this.stores.flash;
    if (this.#started) this.store.recoverUnfinished();
    else if (this.#options.workOrder) this.#takeInStock(this.#options.workOrder === true ? {} : this.#options.workOrder);
    this.#started = true;
    const unlockKeys = this.#options.unlockKeys ?? demoUnlockKeys();
    this.pool = new SessionPool({ maxThreads: this.config.sessions.maxThreads, concurrentTasksPerThread: this.config.sessions.concurrentTasksPerThread, unlockKeys });
    this.bench = new Bench({
      benchId: this.config.benchId,
      jigs: this.jigs,
      sessions: this.config.sessions,
      jigTimeoutMs: this.config.jigTimeoutMs,
      jigReconcileMs: this.#options.jigReconcileMs,
      catalog: this.catalog,
      store: this.store,
      workOrders: this.stores.workOrders,
      process: this.config.process,
      pool: this.pool,
      log: this.log,
      inProcess: transport === 'in-process' ? this.simulator.openInProcess : undefined,
    });
    this.bench.on('finished', (event) => this.results.push(event));
    this.metrics = new FlashdMetrics({ bench: this.bench, outbox: this.stores.outbox, n3Enabled: false, processMetrics: false });
    this.bench.on('finished', (event) => this.metrics.observe(event));
    await this.bench.start();
  }

  isKnownModel = (model: string): boolean => this.catalog.hasModel(model);

  /** The HTTP API over this bench and store, for `inject()`. Built once. */
  async api(): Promise<FastifyInstance> {
    this.#app ??= await buildApp({ benchId: this.config.benchId, bench: this.bench, store: this.store, ...this.stores, isKnownModel: this.isKnownModel, metrics: this.metrics, log: this.log });
    return this.#app;
  }

  #takeInStock(order: { id?: string; secPartyId?: string; cspRegion?: CspRegion }): void {
    const id = order.id ?? 'WO-TEST';
    const hubs = this.stock.map((h) => ({ deviceId: h.deviceId, model: h.model, firmwareVersion: h.firmwareVersion, smiStatus: h.smiStatus }));
    this.stores.workOrders.create({ id, secPartyId: order.secPartyId ?? 'PARTY-TEST', cspRegion: order.cspRegion ?? 'South', source: 'api', operatorId: 'harness' }, { hubs }, this.isKnownModel);
    for (const hub of hubs) this.stores.intake.scan({ deviceId: hub.deviceId, operatorId: 'harness', workOrderId: id });
  }

  /** Resolves once `count` sessions in total have finished since start. */
  async finished(count: number, timeoutMs = 60_000): Promise<BenchEvents['finished'][0][]> {
    const deadline = Date.now() + timeoutMs;
    while (this.results.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.results.length} of ${count} sessions finished within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const onFinished = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          this.bench.off('finished', onFinished);
          resolve();
        }, 50);
        this.bench.once('finished', onFinished);
      });
    }
    return this.results.slice(0, count);
  }

  async stop(): Promise<void> {
    await this.#app?.close();
    await this.bench?.stop();
    await this.pool?.close();
    this.db?.close();
    await this.simulator.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
