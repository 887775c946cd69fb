import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { GuardKeeper } from '../../../src/bench/guard-keeper.js';
import { DEFAULT_GUARD_THRESHOLDS } from '../../../src/domain/quality-guards.js';
import type { HubIdentity } from '../../../src/domain/hub-identity.js';
import { runFlashctl } from '../../../src/flashctl/cli.js';
import { ReportThread } from '../../../src/store/report-reader.js';
import { GuardStore } from '../../../src/store/guard-store.js';
import { createStores } from '../../../src/store/stores.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { apiMetrics } from '../../helpers/api-metrics.js';

const ID = (n: number) => `00-DB-12-00-00-00-04-${n.toString(16).toUpperCase().padStart(2, '0')}`;

/** flashctl's guard commands against a real API on a local port, over a real store. */
describe('flashctl guards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashctl-guards-'));
  let db: Db;
  let reports: ReportThread;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let url: string;

  beforeAll(async () => {
    db = openDatabase(join(dir, 'f.db'));
    const stores = createStores(db);
    // A suspect slot on record from an earlier run: the keeper replays it.
    new GuardStore(db).record({
      kind: 'SLOT_SUSPECT',
      jig: 'JIG-1',
      slot: 3,
      by: 'flashd',
      reason: '5 of the last 8 sessions failed on the line',
      at: new Date().toISOString(),
    });
    const guards = new GuardKeeper({ thresholds: DEFAULT_GUARD_THRESHOLDS, store: new GuardStore(db), log: pino({ level: 'silent' }) });
    stores.workOrders.create(
      { id: 'WO-G', secPartyId: 'P1', cspRegion: 'North', source: 'api', operatorId: 't' },
      { hubs: [{ deviceId: ID(1) }, { deviceId: ID(2) }] },
      () => true,
    );
    for (const n of [1, 2]) {
      stores.intake.scan({ deviceId: ID(n), operatorId: 't' });
      const identity = {
        deviceId: ID(n),
        gpfDeviceId: ID(n + 16),
        manufacturer: '1086',
        model: '0101030B',
        hardwareVersion: 2,
        firmwareVersion: '0002012A',
        locked: true,
      } as HubIdentity;
      const attemptId = stores.flash.beginAttempt({
        identity,
        benchId: 'B',
        jigId: 'JIG-1',
        slot: n,
        startedAt: new Date(),
        workOrderId: 'WO-G',
        operatorId: 't',
      });
      stores.flash.finishAttempt(attemptId, {
        result: 'FAILED',
        firmwareTarget: '0002012F',
        error: { code: 'VERIFY_MISMATCH', message: 'hash', phase: 'VERIFYING' },
        timings: {},
      });
    }
    const bench = { slots: () => [], activeSessions: 0, operatorId: 'bench', setOperator: () => {}, retry: () => ({ jig: 'JIG-1', slot: 2 }) };
    app = await buildApp({
      benchId: 'B',
      bench,
      store: stores.flash,
      ...stores,
      isKnownModel: () => true,
      metrics: apiMetrics(bench, stores.outbox),
      log: pino({ level: 'silent' }),
      guards,
      reports: (reports = new ReportThread({ path: join(dir, 'f.db') })),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await reports.close();
    db.close();
  });

  async function ctl(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runFlashctl(['--api', url, ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, readStdin: async () => '' });
    return { code, out, err };
  }

  it('shows a suspect slot, releases it only with a note, once, recorded under the signed-in operator', async () => {
    expect((await ctl(['guards'])).out).toMatch(/JIG-1\s+3\s+SUSPECT\s+0\/0\s+5 of the last 8/);
    expect(await ctl(['slot-release', 'JIG-1', '3'])).toMatchObject({ code: 2, err: expect.stringContaining('--note') });
    const released = await ctl(['--operator', 'sup.jones', 'slot-release', 'JIG-1', '3', '--note', 'pogo pins replaced']);
    expect(released).toMatchObject({ code: 0, out: expect.stringMatching(/^SLOT_RELEASED by sup\.jones at .*: pogo pins replaced\n$/) });
    expect(await ctl(['--operator', 'sup.jones', 'slot-release', 'JIG-1', '3', '--note', 'again'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('GUARD_NOT_HALTED'),
    });
    expect(db.prepare('SELECT kind, by, reason FROM guard_actions ORDER BY id').all()).toEqual([
      { kind: 'SLOT_SUSPECT', by: 'flashd', reason: '5 of the last 8 sessions failed on the line' },
      { kind: 'SLOT_RELEASED', by: 'sup.jones', reason: 'pogo pins replaced' },
    ]);
  });

  it('groups failures by work order, model, hardware version and firmware before', async () => {
    const r = await ctl(['batches', '--since', '2000-01-01T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/WO-G\s+0101030B\s+2\s+0002012A\s+2\/2\s+2\s+VERIFY_MISMATCH×2\n/);
  });
});
