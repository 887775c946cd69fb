import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { FlashdError, isFlashdError } from '../domain/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** SQLite result codes another process causes (a second flashd on the same file): a restart may fix them. */
const TRANSIENT = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

/**
 * Opens (creating if needed) the store: WAL, `synchronous=FULL` so a committed result survives a
 * bench power cut, foreign keys on, then migrations. Refuses to run if the pragmas did not take.
 * A store that cannot be used (a file where its folder should be, unreadable, not SQLite, a newer
 * schema) throws STORE_UNUSABLE naming the path: a restart cannot fix it. `maxSizeMiB` caps the file's size.
 */
export function openDatabase(path: string, options: { maxSizeMiB?: number } = {}): Db {
  let db: Db | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const mode = String(db.pragma('journal_mode', { simple: true }));
    const sync = Number(db.pragma('synchronous', { simple: true }));
    if ((path !== ':memory:' && mode !== 'wal') || sync !== 2) {
      throw new FlashdError('STORE_INVALID_STATE', `store ${path} runs journal_mode=${mode} synchronous=${sync}; flashd needs WAL and FULL (2)`);
    }
    migrate(db, path);
    // A cap below the disk's size: the store then fills (SQLITE_FULL) before the disk does (store.maxSizeMiB).
    if (options.maxSizeMiB)
      db.pragma(`max_page_count = ${Math.max(1, Math.floor((options.maxSizeMiB * 1024 * 1024) / Number(db.pragma('page_size', { simple: true }))))}`);
    return db;
  } catch (err) {
    db?.close();
    const code = (err as { code?: unknown }).code;
    if (isFlashdError(err) || (typeof code === 'string' && TRANSIENT.has(code))) throw err;
    const message = (err as Error).message;
    const suffix = typeof code === 'string' && !message.includes(code) ? ` (${code})` : '';
    throw new FlashdError('STORE_UNUSABLE', `cannot use store ${path}: ${message}${suffix}`, { cause: err });
  }
}

/**
 * Runs `commit` (one transaction) with `synchronous=NORMAL`, then puts FULL back. In WAL mode a
 * NORMAL commit survives a crash of flashd (SIGKILL, OOM) but may be lost with the machine's power
 * until the next FULL commit or sync of the log (store/wal-durability.ts), whose fsync makes every
 * frame before it durable too. Only for facts nothing outside the store rests on before then: a
 * power cut then loses them together with everything that could have depended on them.
 */
export function commitWithoutFsync<T>(db: Db, commit: () => T): T {
  // Inside an outer transaction the commit is the outer one's, and keeps its durability.
  if (db.inTransaction) return commit();
  db.pragma('synchronous = NORMAL');
  try {
    return commit();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

function migrate(db: Db, path: string): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current > MIGRATIONS.length) {
    throw new FlashdError('STORE_UNUSABLE', `store ${path} has schema version ${current}, newer than this flashd knows (${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
