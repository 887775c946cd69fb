import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db } from './open-database.js';

/** Room the store must have for a new session to start: enough for the sessions already running to finish. */
export const STORE_RESERVE_BYTES = 256 * 1024;

/**
 * Whether the store can take a new session: room left under its size limit (`store.maxSizeMiB`,
 * SQLite's max_page_count, counting free pages inside the file) and on its disk, each at least
 * {@link STORE_RESERVE_BYTES}. Read again at most once a second; `recheck()` after a failed write.
 */
export class StoreSpace {
  readonly #db: Db;
  readonly #dir: string;
  #full = false;
  #checkedAt = 0;

  constructor(db: Db, path: string) {
    this.#db = db;
    this.#dir = dirname(path);
  }

  /** True when a new session may start. */
  hasRoom(): boolean {
    if (Date.now() - this.#checkedAt >= 1000) this.recheck();
    return !this.#full;
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
    const pageSize = Number(this.#db.pragma('page_size', { simple: true }));
    const max = Number(this.#db.pragma('max_page_count', { simple: true }));
    const used = Number(this.#db.pragma('page_count', { simple: true })) - Number(this.#db.pragma('freelist_count', { simple: true }));
    const underLimit = (max - used) * pageSize;
    if (this.#dir === '.' && this.#db.name === ':memory:') return underLimit;
    try {
      const s = statfsSync(this.#dir);
      return Math.min(underLimit, s.bavail * s.bsize);
    } catch {
      return underLimit;
    }
  }
}
