import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { WalDurability } from '../../../src/store/wal-durability.js';

const storeFile = (): string => join(mkdtempSync(join(tmpdir(), 'wal-durability-')), 'flashd.db');

/** A log sync the test lets finish (or fail) when it chooses. */
function heldSyncs(): { syncLog: () => Promise<void>; started: number; finish(err?: Error): void } {
  const pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  const held = {
    started: 0,
    syncLog: () =>
      new Promise<void>((resolve, reject) => {
        held.started++;
        pending.push({ resolve, reject });
      }),
    finish(err?: Error) {
      const next = pending.shift();
      if (!next) throw new Error('no sync in flight');
      if (err) next.reject(err);
      else next.resolve();
    },
  };
  return held;
}

const settled = async (p: Promise<unknown>): Promise<string> => {
  const state = await Promise.race([
    p.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((r) => setImmediate(() => r('pending'))),
  ]);
  return state as string;
};

describe('WalDurability: commits without an fsync on the event loop, synced off it', () => {
  let db: Db;
  afterEach(() => db?.close());

  it('commits with synchronous=NORMAL, puts FULL back, and syncs the real log file on libuv’s pool', async () => {
    const file = storeFile();
    db = openDatabase(file);
    const durability = new WalDurability(db, file);
    db.exec('CREATE TABLE t (n INTEGER)');
    let inside: unknown;
    durability.commit(() => {
      inside = db.pragma('synchronous', { simple: true });
      db.prepare('INSERT INTO t VALUES (1)').run();
    });
    expect(inside).toBe(1); // NORMAL while the transaction ran
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL for everyone else
    await durability.synced();
    expect(durability.syncs).toBe(1);
    // Nothing new committed: no second sync.
    await durability.synced();
    expect(durability.syncs).toBe(1);
    await durability.close();
  });

  it('one sync covers every commit made before it started; commits during it share the next', async () => {
    const file = storeFile();
    db = openDatabase(file);
    const held = heldSyncs();
    const durability = new WalDurability(db, file, { syncLog: held.syncLog });
    db.exec('CREATE TABLE t (n INTEGER)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    durability.commit(() => insert.run(1));
    const first = durability.synced();
    durability.commit(() => insert.run(2));
    durability.commit(() => insert.run(3));
    const second = durability.synced();
    const third = durability.synced();
    expect(held.started).toBe(1);
    expect(await settled(first)).toBe('pending');
    held.finish();
    expect(await settled(first)).toBe('resolved');
    // Commits 2 and 3 came while the first sync ran: it may not have covered them.
    expect(await settled(second)).toBe('pending');
    expect(held.started).toBe(2);
    held.finish();
    expect(await settled(second)).toBe('resolved');
    expect(await settled(third)).toBe('resolved');
    expect(held.started).toBe(2);
  });

  it('a failed sync fails that wait and every later one: the disk may have dropped the pages', async () => {
    const file = storeFile();
    db = openDatabase(file);
    const held = heldSyncs();
    const durability = new WalDurability(db, file, { syncLog: held.syncLog });
    db.exec('CREATE TABLE t (n INTEGER)');
    durability.commit(() => db.prepare('INSERT INTO t VALUES (1)').run());
    const waiting = durability.synced();
    held.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(waiting).rejects.toMatchObject({
      code: 'STORE_WRITE_FAILED',
      message: expect.stringMatching(/flashd\.db-wal could not be synced to disk: EIO/),
    });
    durability.commit(() => db.prepare('INSERT INTO t VALUES (2)').run());
    await expect(durability.synced()).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
    expect(held.started).toBe(1); // never retried
  });

  it('inside an outer transaction a commit is the outer one’s: nothing is counted, FULL stays', async () => {
    const file = storeFile();
    db = openDatabase(file);
    const held = heldSyncs();
    const durability = new WalDurability(db, file, { syncLog: held.syncLog });
    db.exec('CREATE TABLE t (n INTEGER)');
    db.transaction(() => durability.commit(() => db.prepare('INSERT INTO t VALUES (1)').run()))();
    expect(await settled(durability.synced())).toBe('resolved');
    expect(held.started).toBe(0);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('a transaction that throws stores nothing and is back at FULL', () => {
    const file = storeFile();
    db = openDatabase(file);
    const durability = new WalDurability(db, file);
    db.exec('CREATE TABLE t (n INTEGER)');
    expect(() =>
      durability.commit(() => {
        db.prepare('INSERT INTO t VALUES (1)').run();
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });
});
