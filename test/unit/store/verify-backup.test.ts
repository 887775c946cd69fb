import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backupStore } from '../../../src/store/backup.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { openDatabase } from '../../../src/store/open-database.js';
import { verifyBackup } from '../../../src/store/verify-backup.js';

const dir = mkdtempSync(join(tmpdir(), 'verify-backup-'));

async function goodBackup(name: string): Promise<string> {
  const db = openDatabase(join(dir, `${name}-src.db`));
  db.prepare("INSERT INTO work_orders VALUES ('WO-1', 'PARTY-1', 'North', 'OPEN', 'api', '2026-01-01T00:00:00Z', 'op', NULL, NULL)").run();
  const file = join(dir, `${name}.db`);
  await backupStore(db, file);
  db.close();
  return file;
}

describe('verifyBackup', () => {
  it('passes a sound copy and counts its rows', async () => {
    const check = verifyBackup(await goodBackup('good'));
    expect(check).toMatchObject({ ok: true, integrity: 'ok', schemaVersion: MIGRATIONS.length, problems: [] });
    expect(check.rows.work_orders).toBe(1);
  });

  it('fails a copy with damaged pages', async () => {
    const file = await goodBackup('damaged');
    const bytes = readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    // Garble the b-tree pages after the schema page: integrity_check or the row scan must notice.
    for (let i = pageSize * 2; i < bytes.length; i += 7) bytes[i] = (bytes[i]! ^ 0x5a) & 0xff;
    writeFileSync(file, bytes);
    const check = verifyBackup(file);
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toMatch(/integrity_check|unreadable|malformed/);
  });

  it('fails a store of an older schema version and a file that is not SQLite', async () => {
    const old = join(dir, 'old.db');
    const db = new Database(old);
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.close();
    const check = verifyBackup(old);
    expect(check.ok).toBe(false);
    expect(check.problems).toContain(`schema version 1, this flashd writes ${MIGRATIONS.length}`);
    expect(check.problems).toContain('table n3_outbox is missing');
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'not a database at all, just words '.repeat(200));
    expect(verifyBackup(text).ok).toBe(false);
    expect(verifyBackup(join(dir, 'absent.db')).problems[0]).toMatch(/^cannot open/);
  });
});
