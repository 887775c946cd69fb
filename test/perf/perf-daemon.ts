import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Bench, BenchEvents } from '../../src/bench/bench.js';
import type { SessionPool } from '../../src/bench/session-pool.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { createDaemon, type Daemon } from '../../src/daemon/create-daemon.js';
import { takeInStock } from '../helpers/take-in.js';
import { openDatabase, type Db } from '../../src/store/open-database.js';
import { fillAgedStore } from '../helpers/aged-store.js';
import type { Stores } from '../../src/store/stores.js';
import { demoUnlockKeys, type HubSpec, type JigAddresses } from '../../jig-sim/index.js';

export interface PerfDaemonOptions {
  catalogDir: string;
  trustedKeyFile: string;
  jigs: JigAddresses[];
  /** Every hub the run will see, taken in on one work order before the bench starts. */
  stock: readonly HubSpec[];
  config?: Record<string, unknown>;
  /** A store that already holds this many hubs' past (test/helpers/aged-store.ts) before the daemon opens it. */
  agedHubs?: number;
}

/**
 * The daemon as main.ts builds it (createDaemon: catalogue, store on a real file, piscina pool,
 * bench), minus the HTTP listener, in this process: its main thread is the one whose event-loop lag
 * and memory the benchmark reports.
 */
export class PerfDaemon {
  readonly dir = mkdtempSync(join(tmpdir(), 'flashd-perf-'));
  readonly config: Config;
  daemon!: Daemon;
  readonly #o: PerfDaemonOptions;

  constructor(options: PerfDaemonOptions) {
    this.#o = options;
    this.config = validateConfig(
      {
        simulator: { enabled: false },
        log: { level: 'silent' },
        process: { maxAttempts: 20 },
        guards: { enabled: false },
        images: { dir: options.catalogDir, trustedKeyFiles: [options.trustedKeyFile] },
        ...options.config,
        store: { path: join(this.dir, 'flashd.db') },
      },
      'perf config',
    );
  }

  get db(): Db {
    return this.daemon.db;
  }
  get stores(): Stores {
    return this.daemon.stores;
  }
  get pool(): SessionPool {
    return this.daemon.pool;
  }
  get bench(): Bench {
    return this.daemon.bench;
  }

  async start(onFinished: (event: BenchEvents['finished'][0]) => void): Promise<void> {
    if (this.#o.agedHubs) {
      const db = openDatabase(this.config.store.path);
      try {
        fillAgedStore(db, { hubs: this.#o.agedHubs });
      } finally {
        db.close();
      }
    }
    const jigs = this.#o.jigs.map((a) => ({ id: a.id, control: a.control, slots: a.slots, baudRate: 115_200 }));
    this.daemon = await createDaemon(this.config, {
      hardware: async () => ({ jigs, commit: () => {}, close: async () => {} }),
      log: pino({ level: 'silent' }),
      unlockKeys: demoUnlockKeys(),
      processMetrics: false,
    });
    takeInStock(this.stores, { id: 'WO-PERF', secPartyId: 'PARTY-PERF', cspRegion: 'South', operatorId: 'perf' }, this.#o.stock, this.daemon.catalog.hasModel);
    this.bench.on('finished', onFinished);
    await this.daemon.start({ listen: false });
  }

  /** Serves the daemon's own API on 127.0.0.1 (an ephemeral port), for a client measuring it meanwhile. */
  async listenApi(): Promise<string> {
    await this.daemon.app.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(this.daemon.app.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    await this.daemon?.stop('benchmark over');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
