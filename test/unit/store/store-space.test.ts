import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/open-database.js';
import { STORE_RESERVE_BYTES, StoreSpace } from '../../../src/store/store-space.js';

/** SQLite's own SQLITE_FULL on a store capped by store.maxSizeMiB (max_page_count), and how StoreSpace reads it. */
describe('a store at its size limit', () => {
  it('refuses the write that does not fit with SQLITE_FULL, keeps every earlier commit, and reads as full', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'store-space-')), 'flashd.db');
    const db = openDatabase(file, { maxSizeMiB: 1 });
    const space = new StoreSpace(db, file);
    expect(space.recheck()).toBe(true);
    db.prepare(
      "INSERT INTO hubs VALUES ('00-DB-12-00-00-00-00-01', 'GPF', '1086', 'MP155', 3, 'FINISHED', 'REFLASHED', '1.0.0', '2.0.0', 1, NULL, 'x', 'x')",
    ).run();
    const journal = db.prepare("INSERT INTO hub_events (device_id, at, kind, data_json) VALUES ('00-DB-12-00-00-00-00-01', 'x', 'note', ?)");
    const blob = JSON.stringify({ pad: 'p'.repeat(8000) });
    let committed = 0;
    let failure: unknown;
    for (let i = 0; i < 1000 && failure === undefined; i++) {
      try {
        db.transaction(() => journal.run(blob))();
        committed++;
      } catch (err) {
        failure = err;
      }
    }
    expect((failure as { code?: string }).code).toBe('SQLITE_FULL');
    expect(committed).toBeGreaterThan(50);
    expect(db.prepare('SELECT count(*) FROM hub_events').pluck().get()).toBe(committed);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(space.recheck()).toBe(false);
    expect(space.full).toBe(true);
    expect(space.roomBytes()).toBeLessThan(STORE_RESERVE_BYTES);
    // Room again (the limit raised, as after freeing the disk): new sessions may start.
    db.pragma('max_page_count = 100000');
    expect(space.recheck()).toBe(true);
    db.transaction(() => journal.run(blob))();
    db.close();
  });
});
