import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceId, parseFirmwareVersion } from '../../../src/domain/identifiers.js';
import { BatchFailureReader } from '../../../src/store/batch-failures.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { pruneRecords } from '../../../src/store/retention.js';
import { ShiftFigureReader } from '../../../src/store/shift-figures.js';
import { createStores } from '../../../src/store/stores.js';
import { fillAgedStore } from '../../helpers/aged-store.js';
import { startOfLocalDay } from '../../../src/domain/shift-day.js';

let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

function agedStore(hubs: number): Db {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'store-age-')), 'flashd.db'));
  fillAgedStore(db, { hubs, perWorkOrder: 100 });
  return db;
}

/** Every statement `work` runs, with its arguments, as the daemon runs them. */
function statementsOf(work: () => void): Array<{ sql: string; args: unknown[] }> {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  const seen: Array<{ sql: string; args: unknown[] }> = [];
  const originals = ['run', 'get', 'all', 'iterate'].map((name) => [name, proto[name]!] as const);
  for (const [name, original] of originals)
    proto[name] = function (this: { source: string }, ...args: unknown[]) {
      seen.push({ sql: this.source, args });
      return original.apply(this, args);
    };
  try {
    work();
  } finally {
    for (const [name, original] of originals) proto[name] = original;
  }
  return seen;
}

/** Small tables a plan may read whole: the outbox counts (three rows), work orders (one a working day). */
const SMALL = new Set(['n3_outbox_counts', 'work_orders']);
/** Partial indexes that hold only what is live (attempts still open), which a plan may read whole. */
const LIVE = /USING (COVERING )?INDEX attempts_open\b/;

/**
 * The plan's steps that read a table whole (a `SCAN` of anything but a small table or the
 * statement's own intermediate results), or walk every delivered outbox row by state: delivered
 * rows are all of history, only PENDING and DEAD are few enough to walk.
 */
function walksHistory(store: Db, sql: string, args: unknown[]): string[] {
  const plan = (store.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail);
  const intermediate = new Set(plan.flatMap((step) => /^CO-ROUTINE (\S+)/.exec(step)?.[1] ?? []));
  return plan.filter((step) => {
    const scanned = /^SCAN (\S+)/.exec(step)?.[1];
    if (scanned !== undefined && !SMALL.has(scanned) && !intermediate.has(scanned) && !scanned.startsWith('(subquery-') && !LIVE.test(step)) return true;
    return /state = 'DELIVERED'/.test(sql) && step.includes('n3_outbox_by_state');
  });
}

describe('a store holding a bench’s history', () => {
  it('answers the reads made at start, after every session, every second and on every dashboard refresh without walking that history', () => {
    const store = agedStore(2000);
    const stores = createStores(store);
    const shift = new ShiftFigureReader(store);
    const batches = new BatchFailureReader(store);
    const statements = statementsOf(() => {
      stores.flash.recoverUnfinished();
      stores.outbox.summary();
      stores.outbox.due(Date.now(), 50);
      stores.outbox.nextDueMs();
      shift.read();
      batches.read(startOfLocalDay(), 6);
      stores.workOrders.liveHub('A9-00-00-00-00-00-00-05');
      stores.workOrders.history('A9-00-00-00-00-00-00-05');
    });
    expect(statements.length).toBeGreaterThanOrEqual(14);
    const walking = statements
      .map(({ sql, args }) => ({ sql: sql.replace(/\s+/g, ' ').trim(), walks: walksHistory(store, sql, args) }))
      .filter((s) => s.walks.length > 0);
    expect(walking).toEqual([]);
  });

  it('takes in, flashes and returns a work order (which closes it) without walking that history', () => {
    const store = agedStore(2000);
    const stores = createStores(store);
    const hubs = Array.from({ length: 8 }, (_, i) => parseDeviceId(`00-DB-12-00-00-00-00-${(i + 1).toString(16).toUpperCase().padStart(2, '0')}`));
    const sha = 'ab'.repeat(32);
    const statements = statementsOf(() => {
      stores.workOrders.create(
        { id: 'WO-NOW', secPartyId: 'P1', cspRegion: 'South', source: 'api', operatorId: 'goods-in' },
        { hubs: hubs.map((deviceId) => ({ deviceId })) },
        () => true,
      );
      for (const deviceId of hubs) stores.intake.scan({ deviceId, operatorId: 'goods-in' });
      for (const [slot, deviceId] of hubs.entries()) {
        stores.workOrders.liveHub(deviceId);
        stores.flash.flashHistory('WO-NOW', deviceId);
        const identity = {
          deviceId,
          gpfDeviceId: deviceId,
          manufacturer: '1086',
          model: '0101030B',
          hardwareVersion: 2,
          firmwareVersion: parseFirmwareVersion('0002012A'),
          locked: true,
        };
        const id = stores.flash.beginAttempt({
          identity,
          benchId: 'B1',
          jigId: 'JIG-1',
          slot: slot + 1,
          startedAt: new Date(),
          workOrderId: 'WO-NOW',
          operatorId: 'tech-1',
        });
        stores.flash.recordVerifiedActivating(id, { firmwareTarget: '0002012F', imageSha256: sha, hubSha256: sha });
        stores.flash.finishAttemptOnWorkOrder(id, {
          result: 'REFLASHED',
          firmwareTarget: '0002012F',
          firmwareAfter: '0002012F',
          imageSha256: sha,
          hubSha256: sha,
          timings: {},
        });
        stores.flash.getHub(deviceId);
      }
      stores.settlement.markReturned('WO-NOW', { deviceIds: hubs, operatorId: 'dispatch' });
    });
    expect(stores.workOrders.hubs('WO-NOW').map((h) => h.state)).toEqual(hubs.map(() => 'RETURNED'));
    expect(stores.workOrders.get('WO-NOW')?.state).toBe('CLOSED');
    expect(statements.length).toBeGreaterThan(100);
    const walking = [...new Set(statements.map((s) => s.sql))].flatMap((sql) => {
      const args = statements.find((s) => s.sql === sql)!.args;
      const walks = walksHistory(store, sql, args);
      return walks.length > 0 ? [{ sql: sql.replace(/\s+/g, ' ').trim(), walks }] : [];
    });
    expect(walking).toEqual([]);
  });

  it('finds a whole-table read where one is made (the check above can fail)', () => {
    const store = agedStore(50);
    expect(walksHistory(store, 'SELECT state, count(*) FROM n3_outbox GROUP BY state', [])).toEqual(['SCAN n3_outbox USING COVERING INDEX n3_outbox_by_state']);
    expect(walksHistory(store, "SELECT max(delivered_at) FROM n3_outbox WHERE state = 'DELIVERED'", [])).toHaveLength(1);
    expect(walksHistory(store, 'SELECT MIN(id) FROM attempts WHERE started_at >= ? GROUP BY device_id', ['2026-01-01'])).toHaveLength(1);
  });

  it('keeps the outbox counts equal to its rows through deliveries, dead letters, re-queues and retention', () => {
    const store = agedStore(300);
    const stores = createStores(store);
    const truth = (): Record<string, number> => ({
      PENDING: 0,
      DELIVERED: 0,
      DEAD: 0,
      ...Object.fromEntries(
        (store.prepare('SELECT state, count(*) AS n FROM n3_outbox GROUP BY state').all() as Array<{ state: string; n: number }>).map((r) => [r.state, r.n]),
      ),
    });
    const counted = (): Record<string, number> => {
      const s = stores.outbox.summary();
      return { PENDING: s.pending, DELIVERED: s.delivered, DEAD: s.dead };
    };
    expect(counted()).toEqual({ PENDING: 0, DELIVERED: 300, DEAD: 0 });

    // An open work order reporting ten of the hubs again.
    store.prepare("INSERT INTO work_orders VALUES ('WO-NOW', 'PARTY-1', 'North', 'OPEN', 'api', '2026-11-30T07:00:00.000Z', 'goods-in', NULL, NULL)").run();
    const ids = store
      .prepare(
        `INSERT INTO n3_outbox (idempotency_key, device_id, work_order_id, attempt_id, outcome, payload_json, payload_sha256, created_at)
         SELECT 'now-' || device_id || '-key', device_id, 'WO-NOW', attempt_id, outcome, payload_json, payload_sha256, '2026-11-30T08:00:00.000Z'
         FROM n3_outbox WHERE work_order_id = 'WO-AGED-00001' ORDER BY id LIMIT 10 RETURNING id`,
      )
      .pluck()
      .all() as number[];
    expect(counted()).toEqual({ PENDING: 10, DELIVERED: 300, DEAD: 0 });
    const attempt = { at: '2026-11-30T08:00:01.000Z', status: 422, code: 'N3_REFUSED', message: 'refused' };
    stores.outbox.markDelivered(ids[0]!, '2026-11-30T08:00:01.000Z', 202);
    stores.outbox.markDead(ids[1]!, attempt);
    stores.outbox.markDead(ids[2]!, attempt);
    stores.outbox.markRetry(ids[3]!, { ...attempt, status: 503 }, Date.now() + 1000);
    expect(counted()).toEqual(truth());
    stores.outbox.requeue(ids[1]!, 'supervisor', '2026-11-30T09:00:00.000Z');
    expect(counted()).toEqual({ PENDING: 8, DELIVERED: 301, DEAD: 1 });
    // Retention deletes the delivered reports of the settled (closed) work orders: the counts follow.
    expect(pruneRecords(store, { deliveredReportsDays: 30, attemptsDays: 0 }, new Date('2026-11-30T12:00:00.000Z')).reports).toBe(300);
    expect(counted()).toEqual({ PENDING: 8, DELIVERED: 1, DEAD: 1 });
    expect(counted()).toEqual(truth());
    // A change that fails rolls its count back with it.
    const before = counted();
    expect(() =>
      store.transaction(() => {
        stores.outbox.markDelivered(ids[4]!, '2026-11-30T10:00:00.000Z', 202);
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    expect(counted()).toEqual(before);
    expect(counted()).toEqual(truth());
  });
});
