import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { openDatabase } from '../../../src/store/open-database.js';
import { snapshotStoreFiles } from '../../../src/store/store-files.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'flashd-open-'));

describe('a store that cannot be used is refused as STORE_UNUSABLE, naming its path', () => {
  it('a file where the store folder should be', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'state'), 'not a folder');
    const path = join(dir, 'state', 'flashd.db');
    expect(() => openDatabase(path)).toThrow(expect.objectContaining({ code: 'STORE_UNUSABLE', message: expect.stringContaining(path) }));
  });

  it('a file that is not SQLite', () => {
    const path = join(tmp(), 'flashd.db');
    writeFileSync(path, 'this is a text file, not a database\n'.repeat(200));
    expect(() => openDatabase(path)).toThrow(expect.objectContaining({ code: 'STORE_UNUSABLE', message: expect.stringContaining(path) }));
  });

  it('a store written by a newer flashd', () => {
    const path = join(tmp(), 'flashd.db');
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openDatabase(path)).toThrow(expect.objectContaining({ code: 'STORE_UNUSABLE', message: expect.stringContaining(path) }));
  });
});

describe('the store files a start created', () => {
  it('are removed again, folders included, and nothing that was there before', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'keep.txt'), 'x');
    const path = join(dir, 'a', 'b', 'flashd.db');
    const files = snapshotStoreFiles(path);
    openDatabase(path).close();
    expect(existsSync(path)).toBe(true);
    files.removeCreated();
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  });

  it('are nothing to remove when a file stood where the folder should be', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'state'), 'x');
    const files = snapshotStoreFiles(join(dir, 'state', 'flashd.db'));
    expect(() => files.removeCreated()).not.toThrow();
    expect(readdirSync(dir)).toEqual(['state']);
  });

  it('leave an existing store alone', () => {
    const dir = tmp();
    const path = join(dir, 'flashd.db');
    openDatabase(path).close();
    const files = snapshotStoreFiles(path);
    openDatabase(path).close();
    files.removeCreated();
    expect(existsSync(path)).toBe(true);
  });

  it('keep a created folder that something else was put in meanwhile', () => {
    const dir = tmp();
    const path = join(dir, 'a', 'flashd.db');
    const files = snapshotStoreFiles(path);
    openDatabase(path).close();
    mkdirSync(join(dir, 'a', 'other'));
    files.removeCreated();
    expect(readdirSync(join(dir, 'a'))).toEqual(['other']);
  });
});
