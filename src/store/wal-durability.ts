import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FlashdError } from '../domain/errors.js';
import { commitWithoutFsync, type Db } from './open-database.js';
import { inTransaction } from './transaction.js';

/**
 * How a repository commits the transactions a session waits on: either durable when the commit
 * returns, or durable once {@link synced} settles.
 */
export interface Durability {
  /** Runs `transaction` as one commit and returns its value; on disk at once, or after {@link synced}. */
  commit<T>(transaction: () => T): T;
  /** Settles once every commit made so far is on disk; rejects with STORE_WRITE_FAILED when the disk refused. */
  synced(): Promise<void>;
}

/** Each commit with `synchronous=FULL`: on disk when it returns (tests, in-memory stores). */
export class FullCommits implements Durability {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  commit<T>(transaction: () => T): T {
    return inTransaction(this.#db, transaction);
  }

  synced(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Group commit with the fsync off the main thread. A commit runs with `synchronous=NORMAL`: SQLite
 * appends it to the write-ahead log and returns without waiting for the disk (≈ 0.05 ms against
 * 1–20 ms for a FULL commit's fsync, which blocked the event loop of every slot and the API).
 * {@link synced} then has the log file `fdatasync`ed on libuv's pool: one sync covers every commit
 * made before it started, so commits that come while one runs share the next. Once it settles the
 * commits are as durable as FULL would have made them (the same file, the same sync; SQLite's own
 * checkpoints still sync the log before copying it). Whoever tells the world about a commit (the
 * session before ACTIVATE, the slot's LED and result, the N3 drainer, the API) waits for it.
 *
 * A failed sync is not retried: after a failed fsync Linux may have dropped the dirty pages and a
 * later sync can succeed without them, so every later {@link synced} fails too (STORE_WRITE_FAILED
 * naming the first error) until flashd restarts and SQLite recovers the log.
 */
export class WalDurability implements Durability {
  readonly #db: Db;
  readonly #walPath: string;
  readonly #syncLog: () => Promise<void>;
  #file: Promise<FileHandle> | undefined;
  /** Commits made / commits known on disk, counted. */
  #committed = 0;
  #durable = 0;
  #syncing = false;
  #syncCount = 0;
  #failed: FlashdError | undefined;
  #waiters: Array<{ upTo: number; resolve: () => void; reject: (err: Error) => void }> = [];

  /** `syncLog` replaces the log's `fdatasync` (tests: a disk that fails or is slow). */
  constructor(db: Db, path: string, options: { syncLog?: () => Promise<void> } = {}) {
    this.#db = db;
    this.#walPath = `${path}-wal`;
    this.#syncLog = options.syncLog ?? (() => this.#datasync());
    // A log created since the folder was last synced must keep its name after a power cut too.
    syncFolder(dirname(path));
  }

  commit<T>(transaction: () => T): T {
    // Inside an outer transaction the commit is the outer one's, and keeps its durability.
    if (this.#db.inTransaction) return transaction();
    const value = commitWithoutFsync(this.#db, () => inTransaction(this.#db, transaction));
    this.#committed++;
    return value;
  }

  synced(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#durable >= this.#committed) return Promise.resolve();
    const upTo = this.#committed;
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ upTo, resolve, reject });
      this.#syncNext();
    });
  }

  /** Waits for a sync in flight, then closes the log's handle (before the database closes). */
  async close(): Promise<void> {
    await this.synced().catch(() => undefined);
    const file = this.#file;
    this.#file = undefined;
    await (await file?.catch(() => undefined))?.close();
  }

  #syncNext(): void {
    if (this.#syncing || this.#failed || this.#durable >= this.#committed) return;
    this.#syncing = true;
    this.#syncCount++;
    // Everything committed before the sync starts is covered by it.
    const upTo = this.#committed;
    this.#syncLog()
      .then(
        () => {
          this.#durable = upTo;
          this.#settle(upTo);
        },
        (err: Error) => {
          this.#failed = new FlashdError('STORE_WRITE_FAILED', `the store's write-ahead log ${this.#walPath} could not be synced to disk: ${err.message}`, {
            cause: err,
          });
          this.#settle(Infinity);
        },
      )
      .finally(() => {
        this.#syncing = false;
        this.#syncNext();
      });
  }

  async #datasync(): Promise<void> {
    // SQLite keeps the log file (and its name) while a connection is open: one handle serves every sync.
    this.#file ??= open(this.#walPath, 'r');
    await (await this.#file).datasync();
  }

  /** How many syncs of the log ran (each may have covered many commits). */
  get syncs(): number {
    return this.#syncCount;
  }

  #settle(upTo: number): void {
    const due = this.#waiters.filter((w) => w.upTo <= upTo);
    this.#waiters = this.#waiters.filter((w) => w.upTo > upTo);
    for (const w of due) {
      if (this.#failed) w.reject(this.#failed);
      else w.resolve();
    }
  }
}

function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The durability a store file gets: group commit for a file, FULL commits for `:memory:`. */
export function durabilityFor(db: Db, path: string, syncLog?: () => Promise<void>): Durability & { close?(): Promise<void> } {
  return path === ':memory:' ? new FullCommits(db) : new WalDurability(db, path, syncLog ? { syncLog } : {});
}
