import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { FlashdError } from '../domain/errors.js';
import type { Db } from './open-database.js';

/** What a finished backup wrote. */
export interface BackupFacts {
  file: string;
  bytes: number;
  tookMs: number;
}

/**
 * An online copy through the daemon's own connection: SQLite's online backup API (better-sqlite3
 * `db.backup()`), a few pages per turn of the event loop, so flashing goes on meanwhile. Commits
 * this connection makes during the copy are written into the copy too (no restart), so it ends as
 * a consistent image of the store at its last step. Written beside `dest` and renamed into place:
 * `dest` is either the whole copy or untouched.
 */
export async function backupStore(db: Db, dest: string): Promise<BackupFacts> {
  const started = Date.now();
  return settle(dest, started, async (temp) => {
    await db.backup(temp);
  });
}

/**
 * A copy of a store file by a second process (flashctl on the bench PC, the backup timer), safe while
 * the daemon writes it: in WAL mode a reader does not block the writer, and `VACUUM INTO` writes the
 * copy inside one read transaction, so it is the store as of one commit. (The stepwise backup API
 * from another process would restart at every commit the daemon makes.) Needs the rights of the
 * daemon's user: a WAL reader writes the `-shm` file.
 */
export async function backupStoreFile(source: string, dest: string): Promise<BackupFacts> {
  const started = Date.now();
  return settle(dest, started, (temp) => {
    const db = new Database(source, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      db.prepare('VACUUM INTO ?').run(temp);
    } finally {
      db.close();
    }
    return Promise.resolve();
  });
}

async function settle(dest: string, started: number, copy: (temp: string) => Promise<void>): Promise<BackupFacts> {
  const temp = join(dirname(dest), `.${basename(dest)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await copy(temp);
    // A standalone file: no WAL to carry along, readable without write access to its folder.
    const copyDb = new Database(temp);
    try {
      copyDb.pragma('journal_mode = DELETE');
    } finally {
      copyDb.close();
    }
    renameSync(temp, dest);
    return { file: dest, bytes: statSync(dest).size, tookMs: Date.now() - started };
  } catch (err) {
    for (const f of [temp, `${temp}-journal`, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
    const code = (err as { code?: unknown }).code;
    throw new FlashdError('BACKUP_FAILED', `cannot back up the store to ${dest}: ${(err as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`, {
      cause: err,
    });
  }
}
