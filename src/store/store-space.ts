import { statfsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Db } from './open-database.js';

/** Room the store must have for a new session to start: enough for the sessions already running to finish. */
export const STORE_RESERVE_BYTES = 256 * 1024;

/**
 * Whether the store can take a new session: room left under its size limit (`store.maxSizeMiB`,
 * SQLite's max_page_count, counting free pages inside the file) and on its disk, each at least
 * {@link STORE_RESERVE_BYTES}. Measured at creation, then again in the background at most once a
 * second (a `statfs` can take milliseconds while the disk is busy: not on the event loop of every
 * slot); `recheck()` measures at once, after a failed write.
 */
export class StoreSpace {
  readonly #db: Db;
  readonly #dir: string;
  #full = false;
  #checkedAt = 0;
  #measuring = false;

  constructor(db: Db, path: string) {
    this.#db = db;
    this.#dir = dirname(path);
    this.recheck();
  }

  /** True when a new session may start, as last measured. */
  hasRoom(): boolean {
    if (Date.now() - this.#checkedAt >= 1000 && !this.#measuring) void this.#measureInBackground();
    return !this.#full;
  }

  async #measureInBackground(): Promise<void> {
    this.#measuring = true;
    try {
      const underLimit = this.#roomUnderLimit();
      const disk = this.#inMemory
        ? Infinity
        : await statfs(this.#dir).then(
            (s) => s.bavail * s.bsize,
            () => Infinity,
          );
      this.#checkedAt = Date.now();
      this.#full = Math.min(underLimit, disk) < STORE_RESERVE_BYTES;
    } catch {
      // The store closed meanwhile: nothing left to measure.
    } finally {
      this.#measuring = false;
    }
  }

  get full(): boolean {
    return this.#full;
  }

  /** Measures now (after a write failed: SQLITE_FULL leaves the store just short of its limit). */
  recheck(): boolean {
    this.#checkedAt = Date.now();
    this.#full = this.roomBytes() < STORE_RESERVE_BYTES;
    return !this.#full;
  }

  /** The smaller of the room under the size limit and the room on the disk. */
  roomBytes(): number {
    const underLimit = this.#roomUnderLimit();
    if (this.#inMemory) return underLimit;
    try {
      const s = statfsSync(this.#dir);
      return Math.min(underLimit, s.bavail * s.bsize);
    } catch {
      return underLimit;
    }
  }

  /** A `:memory:` store has no disk to measure. */
  get #inMemory(): boolean {
    return this.#dir === '.' && this.#db.name === ':memory:';
  }

  #roomUnderLimit(): number {
    const pageSize = Number(this.#db.pragma('page_size', { simple: true }));
    const max = Number(this.#db.pragma('max_page_count', { simple: true }));
    const used = Number(this.#db.pragma('page_count', { simple: true })) - Number(this.#db.pragma('freelist_count', { simple: true }));
    return (max - used) * pageSize;
  }
}
