import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFlashdError } from '../../../src/domain/errors.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { CLOSE_GRACE_MS, ReportThread, inlineReports, type ReportReader } from '../../../src/store/report-reader.js';
import { REPORT_BUSY_TIMEOUT_MS, readFailure } from '../../../src/store/report-reads.js';
import { fillAgedStore } from '../../helpers/aged-store.js';

const YEAR_AGO = '2000-01-01T00:00:00.000Z';
const ALL_TIME = { from: null, to: null };

describe('report thread', () => {
  let dir: string;
  let path: string;
  let db: Db;
  const threads: ReportThread[] = [];
  const thread = (o: Partial<ConstructorParameters<typeof ReportThread>[0]> = {}): ReportThread => {
    const t = new ReportThread({ path, ...o });
    threads.push(t);
    return t;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flashd-reports-'));
    path = join(dir, 'flashd.db');
    db = openDatabase(path);
    fillAgedStore(db, { hubs: 300, perWorkOrder: 100 });
    // A few failures, so the batches read has rows to group.
    db.exec(`UPDATE attempts SET result = 'FAILED', error_code = 'HUB_HASH_MISMATCH' WHERE id IN (3, 5, 150)`);
    return () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    };
  });
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((t) => t.close()));
  });

  /** A new store another connection holds exclusively: its readers wait (busy_timeout) until it lets go. */
  function lockedStore(name: string): { other: string; lock: Db } {
    const other = join(dir, name);
    openDatabase(other).close();
    const lock = new Database(other);
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE; COMMIT');
    return { other, lock };
  }

  /** Every read, as the API asks for them. */
  async function everything(reports: ReportReader): Promise<unknown[]> {
    return [
      await reports.read('chargesByWorkOrder', { period: ALL_TIME }),
      await reports.read('chargesByWorkOrder', { workOrderId: 'WO-AGED-00002', period: { from: YEAR_AGO, to: null } }),
      await reports.read('chargesByParty', { secPartyId: 'PARTY-AGED', period: ALL_TIME }),
      await reports.read('batchFailures', YEAR_AGO, 50),
      await reports.read('workOrderWithHubs', 'WO-AGED-00003'),
      await reports.read('workOrderHubs', ['WO-AGED-00002', 'WO-AGED-00001'], ['RETURNED']),
    ];
  }

  it("answers every read as the daemon's own connection would", async () => {
    const mine = await everything(inlineReports(db));
    expect(await everything(thread())).toEqual(mine);
    // Not empty answers compared with empty ones: each read found what the store holds.
    const [byOrder, oneOrder, byParty, batches, withHubs, hubs] = mine as [unknown[], unknown[], unknown[], unknown[], { hubs: unknown[] }, unknown[]];
    expect([byOrder.length, oneOrder.length, byParty.length, batches.length, withHubs.hubs.length, hubs.length]).toEqual([3, 1, 1, 2, 100, 200]);
  });

  it('reads on a thread of its own: a read that waits leaves the main thread running', async () => {
    const { other, lock } = lockedStore('locked.db');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      // On the main thread the same wait stops every timer until the lock goes (or the read gives up).
      const inline = new Database(other, { readonly: true });
      inline.pragma('busy_timeout = 300');
      const blocked = inlineReports(inline).read('chargesByParty', { period: ALL_TIME });
      expect(ticks).toBe(0);
      await expect(blocked).rejects.toThrow(/locked/);
      inline.close();

      const read = thread({ path: other }).read('chargesByParty', { period: ALL_TIME });
      const before = ticks;
      await sleep(300);
      expect(ticks - before).toBeGreaterThanOrEqual(10);
      lock.close();
      expect(await read).toEqual([]);
    } finally {
      clearInterval(timer);
      lock.close();
    }
  });

  it('gives a refusal its code (an unknown work order is NOT_FOUND), and reads on after it', async () => {
    const t = thread();
    const err: unknown = await t.read('workOrderWithHubs', 'WO-NOPE').catch((e: unknown) => e);
    expect(isFlashdError(err, 'NOT_FOUND')).toBe(true);
    expect((err as Error).message).toMatch(/WO-NOPE/);
    expect((await t.read('workOrderHubs', ['WO-AGED-00001'])).length).toBe(100);
  });

  it('answers only once every commit made before the answer came back is on disk', async () => {
    const { other, lock } = lockedStore('synced.db');
    let release = (): void => undefined;
    let syncs = 0;
    try {
      const t = thread({
        path: other,
        synced: () => {
          syncs++;
          return new Promise<void>((resolve) => (release = resolve));
        },
      });
      let answered = false;
      const read = t.read('chargesByParty', { period: ALL_TIME }).then((v) => ((answered = true), v));
      // While the thread cannot read, nothing is synced for it: the sync must cover what it will see.
      await sleep(800);
      expect(syncs).toBe(0);
      lock.close();
      while (syncs === 0) await sleep(5);
      await sleep(20);
      expect(answered).toBe(false);
      release();
      expect(await read).toEqual([]);
    } finally {
      lock.close();
    }
  });

  it('reads a work order and its hubs from one commit while the daemon writes', async () => {
    const t = thread();
    // Hubs move between two states on the daemon's connection, one commit at a time, all through the reads.
    const flip = db.prepare(`UPDATE work_order_hubs SET state = CASE state WHEN 'RETURNED' THEN 'REFLASHED' ELSE 'RETURNED' END
      WHERE work_order_id = 'WO-AGED-00002' AND line = ?`);
    let writing = true;
    let commits = 0;
    const writer = (async () => {
      while (writing) {
        flip.run((commits++ % 100) + 1);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      for (let i = 0; i < 15; i++) {
        const { order, hubs } = await t.read('workOrderWithHubs', 'WO-AGED-00002');
        const tally: Record<string, number> = {};
        for (const h of hubs) tally[h.state] = (tally[h.state] ?? 0) + 1;
        expect(order.counts).toEqual(tally);
      }
    } finally {
      writing = false;
      await writer;
    }
    expect(commits).toBeGreaterThan(15);
  });

  it('fails the reads of a thread that cannot open the store with STORE_READ_FAILED, and starts a new thread for the next', async () => {
    const later = join(dir, 'later.db');
    const t = thread({ path: later });
    const err: unknown = await t.read('chargesByParty', { period: ALL_TIME }).catch((e: unknown) => e);
    expect(isFlashdError(err, 'STORE_READ_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/its thread failed: cannot open the store .*later\.db to read/);
    openDatabase(later).close();
    expect(await t.read('chargesByParty', { period: ALL_TIME })).toEqual([]);
  });

  it('refuses reads once closed, and ends a thread held inside SQLite between reads, not in the middle', async () => {
    const { other, lock } = lockedStore('held.db');
    try {
      const t = thread({ path: other });
      // The first read waits out the lock (busy_timeout) and fails: the thread is up and reading.
      const first: unknown = await t.read('chargesByParty', { period: ALL_TIME }).catch((e: unknown) => e);
      expect(isFlashdError(first, 'STORE_READ_FAILED')).toBe(true);
      expect((first as Error).message).toMatch(/SQLITE_BUSY/);
      const held = t.read('chargesByParty', { period: ALL_TIME }).catch((e: unknown) => e);
      await sleep(200); // the second read now waits on the lock inside SQLite
      const started = Date.now();
      await t.close(); // terminating the thread now could abort this process
      const tookMs = Date.now() - started;
      expect(tookMs).toBeGreaterThan(REPORT_BUSY_TIMEOUT_MS - 600); // it let the read in progress end
      expect(tookMs).toBeLessThan(CLOSE_GRACE_MS); // and the thread ended by itself
      expect(isFlashdError(await held, 'STORE_READ_FAILED')).toBe(true);
      await expect(t.read('chargesByParty', { period: ALL_TIME })).rejects.toThrow(/stopping/);
    } finally {
      lock.close();
    }
  });

  it('names a SQLite refusal STORE_READ_FAILED and leaves any other error as it is', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const failure = readFailure('batchFailures', busy);
    expect(isFlashdError(failure, 'STORE_READ_FAILED')).toBe(true);
    expect(failure.message).toBe('the report batchFailures could not be read: database is locked (SQLITE_BUSY)');
    const defect = new TypeError('x is not a function');
    expect(readFailure('batchFailures', defect)).toBe(defect);
  });
});
