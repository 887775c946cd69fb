import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/open-database.js';
import { committedViolations, emptySnapshot } from '../../helpers/result-invariants.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/store-versions/v4.sql');

function store(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'invariants-')), 'flashd.db');
  const seed = new Database(file);
  seed.exec(readFileSync(FIXTURE, 'utf8'));
  seed.close();
  openDatabase(file).close();
  return file;
}

/** The kill soak's own checks (test/helpers/result-invariants.ts) catch what they are there to catch. */
describe('committedViolations', () => {
  it('passes an intact store and its own snapshot', () => {
    const file = store();
    const first = committedViolations(file, emptySnapshot());
    expect(first.problems).toEqual([]);
    expect(first.snapshot.attempts.size).toBe(5);
    expect(committedViolations(file, first.snapshot).problems).toEqual([]);
  });

  it('reports a committed attempt lost or changed, an outbox row gone back, and a REFLASHED without verification', () => {
    const file = store();
    const { snapshot } = committedViolations(file, emptySnapshot());
    const db = new Database(file);
    db.pragma('foreign_keys = OFF');
    db.prepare('DELETE FROM attempts WHERE id = 2').run();
    db.prepare("UPDATE attempts SET result = 'FAILED', error_code = 'X' WHERE id = 5").run();
    db.exec('DROP TRIGGER n3_outbox_delivered_final');
    db.prepare("UPDATE n3_outbox SET state = 'PENDING', delivered_at = NULL WHERE id = 1").run();
    db.prepare('UPDATE attempts SET verified_at = NULL WHERE id = 4').run();
    db.close();
    expect(committedViolations(file, snapshot).problems).toEqual([
      'attempt 2 was committed as FAILED, now missing',
      'attempt 5 was committed as ALREADY_CURRENT, now FAILED',
      'outbox row flashd-BENCH-1-WO-2-00-DB-12-00-00-00-00-A1 was DELIVERED, now not',
      'attempt 4 is REFLASHED without a verified hash and read-back',
      'WO-2 00-DB-12-00-00-00-00-A1 is REFLASHED without a verified, read-back attempt',
    ]);
  });
});
