import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../../src/domain/manifest.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { pruneRecords, RetentionSweep } from '../../../src/store/retention.js';
import { ChargesStore } from '../../../src/store/charges-store.js';
import { createStores } from '../../../src/store/stores.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/store-versions/v4.sql');
const IMG = 'c'.repeat(64);
const dev = (n: string): string => `00-DB-12-00-00-00-01-0${{ G: 'A', H: 'B', J: 'C' }[n]}`;
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * A store with an open work order (WO-2, from the v4 fixture) and a settled one (WO-OLD, closed):
 * on WO-OLD hub G's report was delivered, hub H's is still pending, hub J's is a dead letter. All
 * older than the cut-off; the attempts of the v1 era have no work order.
 */
function storeWithHistory(): Db {
  const file = join(mkdtempSync(join(tmpdir(), 'retention-')), 'flashd.db');
  const seed = new Database(file);
  seed.exec(readFileSync(FIXTURE, 'utf8'));
  seed.close();
  const db = openDatabase(file);
  const rows: Array<[string, number, string, string]> = [
    ['G', 10, 'DELIVERED', 'REFLASHED'],
    ['H', 12, 'PENDING', 'ALREADY_CURRENT'],
    ['J', 13, 'DEAD', 'REFLASHED'],
  ];
  db.transaction(() => {
    let line = 1;
    for (const [n, attempt, state, outcome] of rows) {
      const d = dev(n);
      const before = outcome === 'REFLASHED' ? '1.0.0' : '2.0.0';
      db.prepare(
        `INSERT INTO hubs VALUES (?, 'GPF', '1086', 'MP155', 3, 'FINISHED', ?, ?, '2.0.0', 1, NULL, '2026-01-08T08:00:00.000Z', '2026-01-08T08:00:00.000Z')`,
      ).run(d, outcome, before);
      db.prepare(
        `INSERT INTO work_order_hubs (work_order_id, device_id, line, smi_status, smets_version, state, outcome, firmware_before, firmware_after, target_version, attempt_count,
        received_at, received_by, outcome_at, returned_at, returned_by, updated_at) VALUES ('WO-OLD', ?, ?, 'INSTALLED', 'SMETS2', 'RETURNED', ?, ?, '2.0.0', '2.0.0', 2,
        '2026-01-08T07:00:00.000Z', 'goods-in', '2026-01-08T08:00:00.000Z', '2026-01-09T08:00:00.000Z', 'dispatch', '2026-01-09T08:00:00.000Z')`,
      ).run(d, line++, outcome, before);
      // An earlier failed try, then the attempt the report rests on.
      db.prepare(
        `INSERT INTO attempts (id, device_id, bench_id, jig_id, slot, started_at, finished_at, result, firmware_before, firmware_target, timings_json, work_order_id, error_code)
        VALUES (?, ?, 'BENCH-1', 'JIG-1', 1, '2026-01-08T07:50:00.000Z', '2026-01-08T07:55:00.000Z', 'FAILED', ?, '2.0.0', '{}', 'WO-OLD', 'TIMEOUT')`,
      ).run(attempt + 100, d, before);
      db.prepare(
        `INSERT INTO attempts (id, device_id, bench_id, jig_id, slot, started_at, finished_at, result, firmware_before, firmware_target, firmware_after, image_sha256, hub_sha256,
        timings_json, work_order_id, verified_at, activate_at) VALUES (?, ?, 'BENCH-1', 'JIG-1', 1, '2026-01-08T07:56:00.000Z', '2026-01-08T08:00:00.000Z', ?, ?, '2.0.0', '2.0.0', ?, ?, '{}', 'WO-OLD', ?, ?)`,
      ).run(attempt, d, outcome, before, IMG, IMG, '2026-01-08T07:59:00.000Z', outcome === 'REFLASHED' ? '2026-01-08T07:59:10.000Z' : null);
      const body = JSON.stringify({ deviceId: d, outcome });
      db.prepare(
        `INSERT INTO n3_outbox (idempotency_key, device_id, work_order_id, attempt_id, outcome, payload_json, payload_sha256, created_at, state, delivered_at, dead_at, dead_reason)
        VALUES (?, ?, 'WO-OLD', ?, ?, ?, ?, '2026-01-08T08:00:00.000Z', ?, ?, ?, ?)`,
      ).run(
        `flashd-BENCH-1-WO-OLD-${d}`,
        d,
        attempt,
        outcome,
        body,
        sha(body),
        state,
        state === 'DELIVERED' ? '2026-01-08T08:00:01.000Z' : null,
        state === 'DEAD' ? '2026-01-08T09:00:00.000Z' : null,
        state === 'DEAD' ? 'HTTP 422' : null,
      );
    }
  })();
  return db;
}

const ids = (db: Db, sql: string): unknown[] => db.prepare(sql).pluck().all();

describe('retention', () => {
  it('keeps everything with both ages 0 (the default)', () => {
    const db = storeWithHistory();
    expect(pruneRecords(db, { deliveredReportsDays: 0, attemptsDays: 0 }, new Date('2030-01-01T00:00:00Z'))).toEqual({ reports: 0, attempts: 0 });
    db.close();
  });

  it('prunes old delivered reports and attempts of settled work orders, never what a manifest, charge or pending report needs', () => {
    const db = storeWithHistory();
    const stores = createStores(db);
    const manifest = (): unknown => buildManifest(stores.workOrders.require('WO-OLD'), stores.workOrders.hubs('WO-OLD'), '2026-06-01T00:00:00.000Z');
    const before = { manifest: manifest(), charges: new ChargesStore(db).byWorkOrder(), open: stores.workOrders.hubs('WO-2'), outbox: stores.outbox.summary() };

    const pruned = pruneRecords(db, { deliveredReportsDays: 30, attemptsDays: 30 }, new Date('2026-06-01T00:00:00Z'));

    // Gone: G's delivered report; G's two attempts, H's and J's failed tries, the three attempts of no work order (v1 era).
    expect(pruned).toEqual({ reports: 1, attempts: 7 });
    expect(ids(db, 'SELECT device_id FROM n3_outbox ORDER BY id')).toEqual(['00-DB-12-00-00-00-00-A1', '00-DB-12-00-00-00-00-C3', dev('H'), dev('J')]);
    // Kept: WO-2 is open (its attempts 4-6, delivered report 1 included); H's pending and J's dead report with their attempts.
    expect(ids(db, 'SELECT id FROM attempts ORDER BY id')).toEqual([4, 5, 6, 12, 13]);
    expect(manifest()).toEqual(before.manifest);
    expect(new ChargesStore(db).byWorkOrder()).toEqual(before.charges);
    expect(stores.workOrders.hubs('WO-2')).toEqual(before.open);
    expect(stores.outbox.summary()).toEqual({ ...before.outbox, delivered: before.outbox.delivered - 1 });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('leaves records newer than the cut-off', () => {
    const db = storeWithHistory();
    expect(pruneRecords(db, { deliveredReportsDays: 365, attemptsDays: 365 }, new Date('2026-06-01T00:00:00Z'))).toEqual({ reports: 0, attempts: 0 });
    db.close();
  });

  it('the schema itself refuses to delete a pending or dead report, or a delivered one of an open work order', () => {
    const db = storeWithHistory();
    for (const d of [dev('H'), dev('J'), '00-DB-12-00-00-00-00-A1']) {
      expect(() => db.prepare('DELETE FROM n3_outbox WHERE device_id = ?').run(d), d).toThrow(/only a delivered notification of a settled work order/);
    }
    db.close();
  });

  it('the daemon sweep prunes at start and logs what it deleted; with both ages 0 it never runs', () => {
    const db = storeWithHistory();
    const lines: Array<[object, string]> = [];
    const log = { info: (facts: object, msg: string) => void lines.push([facts, msg]), error: (facts: object, msg: string) => void lines.push([facts, msg]) };
    const now = () => new Date('2026-06-01T00:00:00Z');
    const off = new RetentionSweep(db, { deliveredReportsDays: 0, attemptsDays: 0 }, log, now);
    off.start();
    off.stop();
    expect(lines).toEqual([]);
    const on = new RetentionSweep(db, { deliveredReportsDays: 30, attemptsDays: 0 }, log, now);
    on.start();
    on.stop();
    expect(lines).toEqual([[{ reports: 1, attempts: 0, policy: { deliveredReportsDays: 30, attemptsDays: 0 } }, 'retention pruned old records']]);
    db.close();
    // A store that fails (here: closed) is logged, not thrown: the next day's pass tries again.
    expect(on.sweep()).toBeUndefined();
    expect(lines.at(-1)![1]).toBe('retention could not prune old records');
  });
});
