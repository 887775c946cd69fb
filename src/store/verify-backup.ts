import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

/** What `flashctl verify-backup` found in a file. */
export interface BackupCheck {
  file: string;
  ok: boolean;
  schemaVersion: number | null;
  integrity: string;
  /** Rows per table, each counted by reading every row. */
  rows: Record<string, number>;
  problems: string[];
}

/**
 * Checks a backup without changing it (opened read-only): SQLite's integrity_check and
 * foreign_key_check, the schema version this flashd writes, every table a store of that version
 * has, and every row of every table read. `ok` only when nothing failed.
 */
export function verifyBackup(file: string): BackupCheck {
  const check: BackupCheck = { file, ok: false, schemaVersion: null, integrity: 'not run', rows: {}, problems: [] };
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    check.problems.push(`cannot open: ${(err as Error).message}`);
    return check;
  }
  try {
    check.integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
    if (check.integrity !== 'ok') check.problems.push(`integrity_check: ${check.integrity}`);
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) check.problems.push(`foreign_key_check: ${fk.length} rows point at nothing`);
    check.schemaVersion = Number(db.pragma('user_version', { simple: true }));
    if (check.schemaVersion !== MIGRATIONS.length) check.problems.push(`schema version ${check.schemaVersion}, this flashd writes ${MIGRATIONS.length}`);
    const tables = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[]);
    for (const name of expectedTables()) if (!tables.has(name)) check.problems.push(`table ${name} is missing`);
    for (const name of [...tables].sort()) {
      let n = 0;
      for (const row of db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).iterate()) if (row) n++;
      check.rows[name] = n;
    }
  } catch (err) {
    check.problems.push(`unreadable: ${(err as Error).message}`);
  } finally {
    db.close();
  }
  check.ok = check.problems.length === 0;
  return check;
}

let expected: string[] | undefined;
/** The tables a store of the current schema version has (the migrations run on an empty database). */
function expectedTables(): string[] {
  if (!expected) {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS) db.exec(m);
    expected = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    db.close();
  }
  return expected;
}
