import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../api/app.js';
import { accessFromConfig, readTls } from '../api/access/from-config.js';
import { FlashdMetrics } from '../api/metrics.js';
import { Bench } from '../bench/bench.js';
import { SessionPool } from '../bench/session-pool.js';
import { GuardKeeper } from '../bench/guard-keeper.js';
import { GuardStore } from '../store/guard-store.js';
import { ReportThread, inlineReports } from '../store/report-reader.js';
import type { Config } from '../config/schema.js';
import { n3Enabled } from '../config/upstream-schema.js';
import { FlashdError } from '../domain/errors.js';
import { ImageCatalog } from '../images/catalog.js';
import { BenchEventBus } from '../live/bench-event-bus.js';
import { durabilityFor } from '../store/wal-durability.js';
import { openDatabase, type Db } from '../store/open-database.js';
import { RetentionSweep } from '../store/retention.js';
import { StoreSpace } from '../store/store-space.js';
import { ShiftFigureReader } from '../store/shift-figures.js';
import { snapshotStoreFiles } from '../store/store-files.js';
import { createStores, type Stores } from '../store/stores.js';
import { N3Reporter } from '../upstream/n3-reporter.js';
import type { N3HttpOptions } from '../upstream/n3-http-transport.js';
import type { Hardware, HardwareFactory } from './hardware.js';
import { StopSteps } from './stop-steps.js';
import { watchAdapters } from './adapter-wiring.js';

export interface DaemonDeps {
  /** Where the jigs come from: the config's ports, or a simulator wired from outside src/. */
  hardware: HardwareFactory;
  log: Logger;
  unlockKeys: ReadonlyMap<string, Uint8Array>;
  /** The N3 transport (secrets read at config time); required when the config reports to N3. */
  n3Transport?: N3HttpOptions | undefined;
  /** A catalogue already verified (a test restarting the daemon); else it is loaded and verified. */
  catalog?: ImageCatalog | undefined;
  /** The store's clock. */
  clock?: () => Date;
  /** Aborting it stops the daemon, at any point of its creation or start. */
  signal?: AbortSignal;
  /** Node process metrics on /metrics (default on; tests with many daemons in one process turn them off). */
  processMetrics?: boolean;
  /** Replaces the store log's `fdatasync` (tests: a disk that is slow or fails). */
  syncLog?: () => Promise<void>;
}

/** Everything a running daemon is made of, for the tests, the benchmark and the API's neighbours. */
export interface Daemon {
  readonly config: Readonly<Config>;
  readonly catalog: ImageCatalog;
  readonly db: Db;
  readonly stores: Stores;
  readonly reporter: N3Reporter | undefined;
  readonly hardware: Hardware;
  readonly pool: SessionPool;
  readonly bench: Bench;
  readonly metrics: FlashdMetrics;
  /** The quality guards: canary, model and slot (docs/quality-guards.md). */
  readonly guards: GuardKeeper;
  /** Live bench events for the dashboard and `GET /api/v1/events`. */
  readonly events: BenchEventBus;
  /** Built, not yet listening: `inject()` works before `start()`. */
  readonly app: FastifyInstance;
  /**
   * Serves the API (unless `listen: false`), stores what the hardware needs, starts the bench.
   * Resolves with the API's URL once the jigs had their first connect, or `undefined` when a stop
   * came first. A refusal (API_LISTEN_FAILED) stops what was created and removes a store it created.
   */
  start(options?: { listen?: boolean }): Promise<string | undefined>;
  /** Stops in reverse order of creation, each step guarded; once, whoever asks first. */
  stop(reason?: string): Promise<void>;
  readonly stopping: boolean;
}

/**
 * The one composition root: config → catalogue → store (+ N3 sink) → hardware → session pool →
 * bench → metrics, live events → API and dashboard. main.ts, the tests and the benchmark all build the daemon here; what
 * differs between them is only `deps` (which hardware, which log, which clock).
 * A creation that fails or is aborted tears down what it built and removes a store file it created.
 */
export async function createDaemon(config: Readonly<Config>, deps: DaemonDeps): Promise<Daemon> {
  const { log } = deps;
  const signal = deps.signal ?? new AbortController().signal;
  const steps = new StopSteps(log);
  const storeFiles = snapshotStoreFiles(config.store.path);
  const refused = async (err: unknown): Promise<never> => {
    await steps.run('start refused');
    storeFiles.removeCreated();
    throw err;
  };
  const checkAborted = (): void => {
    if (signal.aborted) throw new FlashdError('SESSION_INTERRUPTED', `start stopped: ${String(signal.reason ?? 'aborted')}`);
  };
  try {
    checkAborted();
    const catalog = deps.catalog ?? (await ImageCatalog.load({ dir: config.images.dir, trustedKeyFiles: config.images.trustedKeyFiles, signal }));
    if (!deps.catalog)
      log.info({ images: catalog.list().map((i) => ({ model: i.model, version: i.version, sha256: i.sha256 })) }, 'firmware catalogue verified');
    checkAborted();
    const db = openDatabase(config.store.path, { maxSizeMiB: config.store.maxSizeMiB });
    steps.push('store', () => void db.close());
    // A session's commits leave their fsync to libuv's pool; whoever acts on them waits for it.
    const durability = durabilityFor(db, config.store.path, deps.syncLog);
    steps.push('store sync', () => durability.close?.());
    // The N3 sink joins the stores before anything can commit a result: each outcome and its outbox row commit together.
    if (n3Enabled(config.upstream) && !deps.n3Transport) throw new FlashdError('CONFIG_INVALID', 'upstream.mode reports to N3, but no N3 transport was given');
    const reporter = deps.n3Transport
      ? new N3Reporter({ db, n3: config.upstream.n3, transport: deps.n3Transport, catalogue: catalog, log, synced: () => durability.synced() })
      : undefined;
    const stores = createStores(db, {
      maxAttempts: config.process.maxAttempts,
      sinks: reporter ? [reporter.sink] : [],
      workOrderLimits: config.limits,
      durability,
      ...(deps.clock ? { now: deps.clock } : {}),
    });
    const recovered = stores.flash.recoverUnfinished();
    if (recovered > 0) log.warn({ recovered }, 'closed attempts left open by an earlier stop as INTERRUPTED');
    const retention = new RetentionSweep(db, config.store.retention, log, deps.clock);
    retention.start();
    steps.push('retention', () => retention.stop());
    if (reporter) {
      reporter.start();
      steps.push('n3 reporter', () => reporter.stop());
    }
    const hardware = await deps.hardware({ config, stores, catalog, log, signal });
    steps.push('hardware', () => hardware.close());
    checkAborted();
    const slots = hardware.jigs.reduce((n, jig) => n + jig.slots.length, 0);
    const pool = new SessionPool({
      maxThreads: config.sessions.maxThreads,
      concurrentTasksPerThread: config.sessions.concurrentTasksPerThread,
      slots,
      threadNice: config.sessions.threadNice,
      unlockKeys: deps.unlockKeys,
    });
    steps.push('session pool', () => pool.close());
    if (slots > config.sessions.maxThreads * config.sessions.concurrentTasksPerThread) {
      log.info({ slots, sessionsAtOnce: pool.capacity }, `the session threads take ${pool.capacity} sessions at once, for the bench's ${slots} slots`);
    }
    // The guards replay their record before the bench can start a session (docs/quality-guards.md).
    const guards = new GuardKeeper({
      thresholds: config.guards,
      store: new GuardStore(db),
      log: log.child({ component: 'guards' }),
      ...(deps.clock ? { now: deps.clock } : {}),
    });
    const bench = new Bench({
      benchId: config.benchId,
      jigs: hardware.jigs,
      sessions: config.sessions,
      jigTimeoutMs: config.jigTimeoutMs,
      jigReconcileMs: config.jigReconcileMs,
      jigReconnect: config.jigReconnect,
      catalog,
      store: stores.flash,
      workOrders: stores.workOrders,
      process: config.process,
      pool,
      log,
      inProcess: hardware.inProcess,
      space: config.store.path === ':memory:' ? undefined : new StoreSpace(db, config.store.path),
      guards,
    });
    const metrics = new FlashdMetrics({ bench, outbox: stores.outbox, n3Enabled: reporter !== undefined, processMetrics: deps.processMetrics ?? true, guards });
    bench.on('finished', (end) => metrics.observe(end));
    const events = new BenchEventBus({ bench, outbox: stores.outbox, storeDir: dirname(config.store.path), log, guards });
    events.start();
    steps.push('events', () => events.stop());
    const dashboard = { events, shift: new ShiftFigureReader(db) };
    const upstream = { mode: config.upstream.mode, wake: () => reporter?.wake() };
    const adapters = watchAdapters(config, events, log);
    if (adapters.watch) steps.push('adapter watch', () => adapters.watch?.stop());
    // A year's export reads for a second or so: in a thread of its own, not on the one moving every slot's bytes.
    const reports =
      config.store.path === ':memory:'
        ? inlineReports(db)
        : new ReportThread({ path: config.store.path, threadNice: config.sessions.threadNice, synced: () => durability.synced() });
    // Before the store closes (the steps run last to first): no read is left on the file.
    steps.push('reports', () => reports.close());
    const app = await buildApp({
      adapters: adapters.list,
      benchId: config.benchId,
      bench,
      store: stores.flash,
      ...stores,
      // Scans at intake become live events for the page.
      intake: events.observeIntake(stores.intake),
      upstream,
      isKnownModel: catalog.hasModel,
      metrics,
      log,
      dashboard,
      access: accessFromConfig(config.api, log),
      https: readTls(config.api.tls),
      ...(config.store.path === ':memory:' ? {} : { backup: { db, dir: dirname(config.store.path) } }),
      guards,
      reports,
    });
    steps.push('api', () => app.close());
    checkAborted();

    const daemon: Daemon = {
      config,
      catalog,
      db,
      stores,
      reporter,
      hardware,
      pool,
      bench,
      metrics,
      guards,
      events,
      app,
      get stopping() {
        return steps.stopping;
      },
      start: async ({ listen = true } = {}) => {
        if (steps.stopping) return undefined;
        let url: string | undefined;
        try {
          if (listen) url = await listenOn(app, config.api);
        } catch (err) {
          return refused(err);
        }
        // A stop during start-up has begun the shutdown: start nothing more, store nothing more.
        if (steps.stopping) return undefined;
        // Only once nothing else can refuse the start: a refused start leaves no demo work order behind.
        hardware.commit();
        // Not awaited: the first listing spawns udevadm, and neither READY nor a stop waits for it.
        void adapters.watch?.start();
        steps.push('bench', () => bench.stop());
        await bench.start({ signal });
        return steps.stopping ? undefined : (url ?? 'inject://flashd');
      },
      stop: (reason = 'stop') => steps.run(reason),
    };
    signal.addEventListener('abort', () => void daemon.stop(String(signal.reason ?? 'abort')), { once: true });
    return daemon;
  } catch (err) {
    return refused(err);
  }
}

/** Listens, or names the address and the fix when the port is taken (the usual first-run snag). */
async function listenOn(app: FastifyInstance, api: Config['api']): Promise<string> {
  try {
    await app.listen({ host: api.host, port: api.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    const hint = code === 'EADDRINUSE' ? ': another process holds the port; set api.port in the config or FLASHD_PORT' : '';
    throw new FlashdError('API_LISTEN_FAILED', `cannot serve the API on ${api.host}:${api.port} (${code})${hint}`, { cause: err });
  }
  return `${api.tls ? 'https' : 'http'}://${api.host}:${(app.server.address() as { port: number }).port}`;
}
