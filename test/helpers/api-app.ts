import { validateConfig } from '../../src/config/load-config.js';
import { GuardKeeper } from '../../src/bench/guard-keeper.js';
import { GuardStore } from '../../src/store/guard-store.js';
import { ReportThread } from '../../src/store/report-reader.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.js';
import type { ApiAccess } from '../../src/api/access/access-options.js';
import { FlashdError } from '../../src/domain/errors.js';
import { openDatabase, type Db } from '../../src/store/open-database.js';
import { createStores, type StoreOptions, type Stores } from '../../src/store/stores.js';
import { apiMetrics } from './api-metrics.js';

export const DEMO_MODEL = '0101030B';
export const hubId = (n: number): string => `00-DB-12-00-00-00-02-${n.toString(16).toUpperCase().padStart(2, '0')}`;

export interface ApiApp {
  app: Awaited<ReturnType<typeof buildApp>>;
  db: Db;
  stores: Stores;
  /** 127.0.0.1 port the app listens on. */
  port: number;
  close(): Promise<void>;
}

/**
 * The real status API over a real SQLite file, listening on 127.0.0.1, with a bench that has no
 * jigs (retry finds hub 1 only). Seeded with work order WO-1 holding hub 1, received at intake.
 */
export async function startApiApp(options: StoreOptions = {}, access?: ApiAccess): Promise<ApiApp> {
  const dir = mkdtempSync(join(tmpdir(), 'flashd-api-'));
  const db = openDatabase(join(dir, 'f.db'));
  const stores = createStores(db, options);
  const reports = new ReportThread({ path: join(dir, 'f.db') });
  let operatorId = 'bench';
  const bench = {
    slots: () => [],
    activeSessions: 0,
    get operatorId() {
      return operatorId;
    },
    setOperator: (id: string) => void (operatorId = id),
    retry: (deviceId: string) => {
      if (deviceId !== hubId(1)) throw new FlashdError('HUB_NOT_IN_SLOT', `${deviceId} is not in a slot`);
      return { jig: 'JIG-1', slot: 3 };
    },
  };
  stores.workOrders.create(
    { id: 'WO-1', secPartyId: 'P1', cspRegion: 'South', source: 'api', operatorId: 't' },
    { hubs: [{ deviceId: hubId(1) }] },
    (m) => m === DEMO_MODEL,
  );
  stores.intake.scan({ deviceId: hubId(1), operatorId: 't' });
  const app = await buildApp({
    benchId: 'B',
    bench,
    store: stores.flash,
    ...stores,
    isKnownModel: (m) => m === DEMO_MODEL,
    metrics: apiMetrics(bench, stores.outbox),
    log: pino({ level: 'silent' }),
    access,
    backup: { db, dir },
    guards: new GuardKeeper({ thresholds: validateConfig({}, 'defaults').guards, store: new GuardStore(db), log: pino({ level: 'silent' }) }),
    reports,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    app,
    db,
    stores,
    port,
    close: async () => {
      await app.close();
      await reports.close();
      db.close();
    },
  };
}
