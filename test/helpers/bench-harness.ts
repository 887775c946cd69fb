import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { FlashdMetrics } from '../../src/api/metrics.js';
import type { Bench, BenchEvents } from '../../src/bench/bench.js';
import type { SessionPool } from '../../src/bench/session-pool.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { Config, JigConfig } from '../../src/config/schema.js';
import { ImageCatalog } from '../../src/images/catalog.js';
import type { CspRegion } from '../../src/domain/work-order.js';
import type { FlashStore } from '../../src/store/flash-store.js';
import type { Db } from '../../src/store/open-database.js';
import type { Stores } from '../../src/store/stores.js';
import { createDaemon, type Daemon } from '../../src/daemon/create-daemon.js';
import type { Hardware } from '../../src/daemon/hardware.js';
import { n3Enabled } from '../../src/config/upstream-schema.js';
import { loadN3Transport } from '../../src/upstream/n3-settings.js';
import {
  DEFAULT_HUB_PROFILE,
  Simulator,
  demoUnlockKeys,
  generateStock,
  type HubSpec,
  type HubTimingProfile,
  type JigAddresses,
  type LinkTiming,
} from '../../jig-sim/index.js';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { takeInStock } from './take-in.js';

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
  /** Replaces the store log's `fdatasync` (a disk that is slow or fails). */
  syncLog?: () => Promise<void>;
}

/**
 * A whole bench for tests: simulator, real SQLite file in a temp dir, real piscina workers, the
 * real bench: the daemon from createDaemon, as main.ts builds it, without the HTTP listener.
 */
export class BenchHarness {
  readonly dir = mkdtempSync(join(tmpdir(), 'flashd-test-'));
  readonly simulator: Simulator;
  readonly config: Config;
  readonly log: Logger;
  readonly stock: HubSpec[];
  daemon!: Daemon;
  jigs: JigConfig[] = [];
  #catalog: ImageCatalog | undefined;
  readonly results: BenchEvents['finished'][0][] = [];
  readonly #options: HarnessOptions;
  #started = false;

  constructor(options: HarnessOptions = {}) {
    this.#options = options;
    const profile = options.profile ?? DEFAULT_HUB_PROFILE;
    this.simulator = new Simulator({
      jigs: options.jigs ?? 1,
      profileFor: options.profileFor ?? (() => profile),
      ...(options.timing ? { timing: options.timing } : {}),
    });
    const loaded = options.stock ?? generateStock({ seed: options.seed ?? 'test', count: options.hubs ?? 8 });
    this.stock = [...loaded, ...(options.reserve ?? [])];
    this.simulator.load(loaded);
    this.simulator.addStock(options.reserve ?? []);
    this.config = validateConfig(
      // The quality guards hold hubs back and halt on purpose; only the tests about them turn them on.
      {
        simulator: { enabled: false },
        guards: { enabled: false },
        ...(options.jigReconcileMs === undefined ? {} : { jigReconcileMs: options.jigReconcileMs }),
        ...options.config,
        store: { path: join(this.dir, 'flashd.db') },
      },
      'test config',
    );
    this.log = options.log ?? pino({ level: 'silent' });
  }

  get dbPath(): string {
    return join(this.dir, 'flashd.db');
  }

  async start(): Promise<this> {
    this.#catalog = await ImageCatalog.load({
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
    await this.daemon.stop('restart');
    await this.#startDaemon();
  }

  /** The daemon as main.ts builds it (createDaemon), on this harness's simulator and store, without the HTTP listener. */
  async #startDaemon(): Promise<void> {
    const transport = this.#options.transport ?? 'tcp';
    const hardware: Hardware = {
      jigs: this.jigs,
      inProcess: transport === 'in-process' ? this.simulator.openInProcess : undefined,
      commit: () => {},
      close: async () => {},
    };
    this.daemon = await createDaemon(this.config, {
      hardware: async () => hardware,
      log: this.log,
      unlockKeys: this.#options.unlockKeys ?? demoUnlockKeys(),
      n3Transport: n3Enabled(this.config.upstream) ? await loadN3Transport(this.config.upstream, undefined) : undefined,
      catalog: this.#catalog,
      processMetrics: false,
      ...(this.#options.syncLog ? { syncLog: this.#options.syncLog } : {}),
    });
    if (!this.#started && this.#options.workOrder) this.#takeInStock(this.#options.workOrder === true ? {} : this.#options.workOrder);
    this.#started = true;
    this.bench.on('finished', (event) => this.results.push(event));
    await this.daemon.start({ listen: false });
  }

  get db(): Db {
    return this.daemon.db;
  }
  get stores(): Stores {
    return this.daemon.stores;
  }
  get store(): FlashStore {
    return this.daemon.stores.flash;
  }
  get pool(): SessionPool {
    return this.daemon.pool;
  }
  get bench(): Bench {
    return this.daemon.bench;
  }
  get metrics(): FlashdMetrics {
    return this.daemon.metrics;
  }
  get catalog(): ImageCatalog {
    return this.daemon.catalog;
  }

  isKnownModel = (model: string): boolean => this.catalog.hasModel(model);

  /** The daemon's HTTP API (built, not listening), for `inject()`. */
  async api(): Promise<FastifyInstance> {
    return this.daemon.app;
  }

  #takeInStock(order: { id?: string; secPartyId?: string; cspRegion?: CspRegion }): void {
    const taken = {
      id: order.id ?? 'WO-TEST',
      secPartyId: order.secPartyId ?? 'PARTY-TEST',
      cspRegion: order.cspRegion ?? 'South',
      operatorId: 'harness',
    } as const;
    takeInStock(this.stores, taken, this.stock, this.isKnownModel);
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
    await this.daemon?.stop('test over');
    await this.simulator.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
