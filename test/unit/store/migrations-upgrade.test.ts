import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { openDatabase } from '../../../src/store/open-database.js';
import { createStores } from '../../../src/store/stores.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/store-versions');
const dir = mkdtempSync(join(tmpdir(), 'store-upgrade-'));

const rowsOf = (db: Database.Database, table: string, cols: string[]): unknown[] =>
  db
    .prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${table}" ORDER BY rowid`)
    .raw()
    .all();

/**
 * Every earlier schema version has a committed dump (test/fixtures/store-versions/vN.sql, made by
 * its generate.ts from the migration list as it stood): each is upgraded by openDatabase to today's
 * version, and every row it held, in every column it had, is still there unchanged.
 */
describe('upgrading a store from every earlier schema version', () => {
  const versions = Array.from({ length: MIGRATIONS.length - 1 }, (_, i) => i + 1);

  it('has a dump for every earlier version (a new migration needs the dump of the version before it)', () => {
    const dumps = readdirSync(FIXTURES).filter((f) => /^v\d+\.sql$/.test(f));
    expect(dumps.sort()).toEqual(versions.map((v) => `v${v}.sql`).sort());
  });

  it.each(versions)('from version %i keeps every row and works afterwards', (version) => {
    const sql = readFileSync(join(FIXTURES, `v${version}.sql`), 'utf8');
    const before = new Database(':memory:');
    before.exec(sql);
    expect(before.pragma('user_version', { simple: true })).toBe(version);
    const file = join(dir, `v${version}.db`);
    const seed = new Database(file);
    seed.exec(sql);
    seed.close();

    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const tables = before.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
      expect(tables.length).toBeGreaterThan(0);
      for (const table of tables) {
        const cols = (before.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string }>).map((c) => c.name);
        const held = rowsOf(before, table, cols);
        expect(held.length, `${table} has rows in v${version}.sql`).toBeGreaterThan(0);
        expect(rowsOf(db, table, cols), `${table} after upgrading from ${version}`).toEqual(held);
      }
      // Migration 4's backfill: a verified hash counts as verified, and a re-flash or an ending at read-back as activated.
      const marks = db
        .prepare('SELECT id, verified_at IS NOT NULL AS verified, activate_at IS NOT NULL AS activated FROM attempts WHERE id <= 3 ORDER BY id')
        .all();
      expect(marks).toEqual([
        { id: 1, verified: 1, activated: 1 },
        { id: 2, verified: 0, activated: 0 },
        { id: 3, verified: 1, activated: 1 },
      ]);
      // The upgraded store is used as any other: read through the repositories, written by a new work order.
      const stores = createStores(db);
      if (version >= 2)
        expect(stores.workOrders.hubs('WO-2').map((h) => h.state)).toEqual(['REFLASHED', 'ALREADY_CURRENT', 'EXPECTED', ...(version >= 4 ? ['FLASHING'] : [])]);
      // The attempt a crash left open after ACTIVATE (v4) is closed as INTERRUPTED, keeping its marks.
      if (version >= 4) {
        expect(stores.flash.recoverUnfinished()).toBe(1);
        expect(db.prepare('SELECT result, verified_at IS NOT NULL AND activate_at IS NOT NULL AS marked FROM attempts WHERE id = 6').get()).toEqual({
          result: 'INTERRUPTED',
          marked: 1,
        });
      }
      if (version >= 3) expect(stores.outbox.summary()).toMatchObject({ pending: 1, delivered: 1 });
      const wo = stores.workOrders.create(
        { id: `WO-NEW-${version}`, secPartyId: 'PARTY-2', cspRegion: 'Central', source: 'api', operatorId: 'goods-in' },
        { hubs: [{ deviceId: '00-DB-12-00-00-00-01-01' }] },
        () => true,
      );
      expect(wo.hubCount).toBe(1);
    } finally {
      db.close();
      before.close();
    }
  });
});
