import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { FlashdError } from '../domain/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the store: WAL, `synchronous=FULL` so a committed result survives a
 * bench power cut, foreign keys on, then migrations. Refuses to run if the pragmas did not take.
 */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const mode = String(db.pragma('journal_mode', { simple: true }));
    const sync = Number(db.pragma('synchronous', { simple: true }));
    if ((path !== ':memory:' && mode !== 'wal') || sync !== 2) {
      throw new FlashdError('STORE_INVALID_STATE', `store ${path} runs journal_mode=${mode} synchronous=${sync}; flashd needs WAL and FULL (2)`);
    }
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Db): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current > MIGRATIONS.length) {
    throw new FlashdError('STORE_INVALID_STATE', `store schema version ${current} is newer than this flashd knows (${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
