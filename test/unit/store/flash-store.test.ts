import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDeviceId, parseFirmwareVersion } from '../../../src/domain/identifiers.js';
import type { HubIdentity } from '../../../src/domain/hub-identity.js';
import { FlashStore } from '../../../src/store/flash-store.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { createStores } from '../../../src/store/stores.js';

const identity = (n: number, firmware = '0002012A'): HubIdentity => ({
  deviceId: parseDeviceId(`00-DB-12-00-00-00-00-${n.toString(16).toUpperCase().padStart(2, '0')}`),
  gpfDeviceId: parseDeviceId(`00-DB-12-00-00-00-01-${n.toString(16).toUpperCase().padStart(2, '0')}`),
  manufacturer: '1086',
  model: '0101030B',
  hardwareVersion: 2,
  firmwareVersion: parseFirmwareVersion(firmware),
  locked: true,
});
const start = (n: number) => ({
  identity: identity(n),
  benchId: 'B1',
  jigId: 'JIG-1',
  slot: 1,
  startedAt: new Date(),
  workOrderId: 'WO-1',
  operatorId: 'tech-1',
});
const NUMBERS = [1, 2, 3, 4, 5, 30, ...Array.from({ length: 15 }, (_, i) => 10 + i)];
const SHA = 'ab'.repeat(32);

describe('FlashStore', () => {
  let db: Db;
  let store: FlashStore;
  let path: string;
  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'flashd-store-')), 'f.db');
    db = openDatabase(path);
    const stores = createStores(db);
    store = stores.flash;
    // Every attempt is made under a work order: put the test hubs on one and take them in.
    const hubs = NUMBERS.map((n) => ({ deviceId: identity(n).deviceId }));
    stores.workOrders.create({ id: 'WO-1', secPartyId: 'P1', cspRegion: 'South', source: 'api', operatorId: 'tech-1' }, { hubs }, () => true);
    for (const { deviceId } of hubs) stores.intake.scan({ deviceId, operatorId: 'tech-1' });
  });
  afterEach(() => db.close());

  it('opens a real file in WAL with synchronous=FULL and the latest schema', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
    db = openDatabase(path); // migrations are idempotent on reopen
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });

  it('opens an attempt without an fsync and is back at synchronous=FULL after it, whether it stored or refused', () => {
    const pragmas: string[] = [];
    const pragma = db.pragma.bind(db);
    db.pragma = (source: string, options?: Parameters<typeof db.pragma>[1]) => {
      if (source.startsWith('synchronous =')) pragmas.push(source);
      return pragma(source, options);
    };
    const id = store.beginAttempt(start(2));
    expect(pragmas).toEqual(['synchronous = NORMAL', 'synchronous = FULL']);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(() => store.beginAttempt(start(2))).toThrow(); // an attempt is already open on the hub
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    // What the session rests on next, the verified hash before ACTIVATE, is a FULL commit.
    pragmas.length = 0;
    store.recordVerifiedActivating(id, { firmwareTarget: '0002012F', imageSha256: SHA, hubSha256: SHA });
    expect(pragmas).toEqual([]);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('records an attempt and its hub outcome together', () => {
    const id = store.beginAttempt(start(1));
    expect(store.getHub(identity(1).deviceId)).toMatchObject({ state: 'FLASHING', outcome: null });
    const hub = store.finishAttempt(id, {
      result: 'REFLASHED',
      firmwareTarget: '0002012F',
      firmwareAfter: '0002012F',
      imageSha256: SHA,
      hubSha256: SHA,
      timings: { identify: 3, transfer: 900 },
    });
    expect(hub).toMatchObject({ outcome: 'REFLASHED', previousFirmwareVersion: '0002012A', firmwareVersion: '0002012F', attemptCount: 1, state: 'FINISHED' });
    const detail = store.getHub(hub.deviceId)!;
    expect(detail.attempts[0]).toMatchObject({ result: 'REFLASHED', timings: { identify: 3, transfer: 900 }, jigId: 'JIG-1' });
  });

  it('refuses a REFLASHED attempt without matching hub hash or read-back, and stores nothing of it', () => {
    const id = store.beginAttempt(start(2));
    const before = JSON.stringify(store.getHub(identity(2).deviceId));
    expect(() =>
      store.finishAttempt(id, {
        result: 'REFLASHED',
        firmwareTarget: '0002012F',
        firmwareAfter: '0002012F',
        imageSha256: SHA,
        hubSha256: 'cd'.repeat(32),
        timings: {},
      }),
    ).toThrow(/CHECK constraint/);
    expect(() =>
      store.finishAttempt(id, { result: 'REFLASHED', firmwareTarget: '0002012F', firmwareAfter: '0002012A', imageSha256: SHA, hubSha256: SHA, timings: {} }),
    ).toThrow(/CHECK constraint/);
    expect(JSON.stringify(store.getHub(identity(2).deviceId))).toBe(before);
    expect(db.prepare("SELECT count(*) AS n FROM hub_events WHERE kind = 'attempt-finished'").get()).toEqual({ n: 0 });
  });

  it('refuses to finish an attempt twice', () => {
    const id = store.beginAttempt(start(3));
    store.finishAttempt(id, { result: 'FAILED', error: { code: 'UNLOCK_REFUSED', message: 'no', phase: 'UNLOCKING' }, timings: {} });
    expect(() => store.finishAttempt(id, { result: 'FAILED', timings: {} })).toThrow(/already finished/);
  });

  it('closes attempts a crash left open as INTERRUPTED; the hub is FAILED, never REFLASHED', () => {
    store.beginAttempt(start(4));
    store.beginAttempt(start(5));
    const reopened = new FlashStore(db);
    expect(reopened.recoverUnfinished()).toBe(2);
    for (const n of [4, 5]) {
      const hub = reopened.getHub(identity(n).deviceId)!;
      expect(hub.outcome).toBe('FAILED');
      expect(hub.attempts[0]).toMatchObject({ result: 'INTERRUPTED', error: { code: 'SESSION_INTERRUPTED' } });
    }
    expect(reopened.recoverUnfinished()).toBe(0);
  });

  it('keeps the verified image and "ACTIVATE sent" of an attempt a crash left open, for the read-back of the next one', () => {
    const verifiedOnly = store.beginAttempt(start(4));
    store.recordVerified(verifiedOnly, { firmwareTarget: '0002012F', imageSha256: SHA, hubSha256: SHA });
    const activated = store.beginAttempt(start(5));
    store.recordVerified(activated, { firmwareTarget: '0002012F', imageSha256: SHA, hubSha256: SHA });
    store.recordActivating(activated);
    const reopened = new FlashStore(db); // a restart: nothing of the first run's memory
    expect(reopened.recoverUnfinished()).toBe(2);
    expect(reopened.getHub(identity(4).deviceId)!.attempts[0]).toMatchObject({
      result: 'INTERRUPTED',
      hubSha256: SHA,
      imageSha256: SHA,
      firmwareTarget: '0002012F',
      error: { phase: 'VERIFYING' },
    });
    expect(reopened.getHub(identity(5).deviceId)!.attempts[0]).toMatchObject({
      result: 'INTERRUPTED',
      hubSha256: SHA,
      imageSha256: SHA,
      firmwareTarget: '0002012F',
      error: { phase: 'ACTIVATING' },
    });
    expect(reopened.flashHistory('WO-1', identity(4).deviceId)).toEqual({ activations: [] }); // verified, never activated
    expect(reopened.flashHistory('WO-1', identity(5).deviceId)).toEqual({ activations: [{ attemptId: activated, version: '0002012F', sha256: SHA }] });
    expect(reopened.flashHistory('WO-2', identity(5).deviceId)).toEqual({ activations: [] });
  });

  it('stores a verification only with matching hashes, and "ACTIVATE sent" only after it, on an open attempt', () => {
    const id = store.beginAttempt(start(3));
    expect(() => store.recordActivating(id)).toThrow(/not open \(or not verified\)/);
    expect(() => store.recordVerified(id, { firmwareTarget: '0002012F', imageSha256: SHA, hubSha256: 'cd'.repeat(32) })).toThrow(/is not the image's/);
    store.recordVerified(id, { firmwareTarget: '0002012F', imageSha256: SHA, hubSha256: SHA });
    store.finishAttempt(id, { result: 'FAILED', timings: {} });
    expect(() => store.recordActivating(id)).toThrow(/not open/);
    expect(db.prepare('SELECT count(*) AS n FROM attempts WHERE activate_at IS NOT NULL').get()).toEqual({ n: 0 });
  });

  it('stores the verified hash and "ACTIVATE sent" in one commit, or neither', () => {
    const id = store.beginAttempt(start(3));
    expect(() => store.recordVerifiedActivating(id, { firmwareTarget: '0002012F', imageSha256: SHA, hubSha256: 'cd'.repeat(32) })).toThrow(
      /is not the image's/,
    );
    const none = db.prepare('SELECT verified_at, activate_at FROM attempts WHERE id = ?').get(id);
    expect(none).toEqual({ verified_at: null, activate_at: null });
    store.recordVerifiedActivating(id, { firmwareTarget: '0002012F', imageSha256: SHA, hubSha256: SHA });
    const both = db
      .prepare<[number], { verified_at: string | null; activate_at: string | null }>('SELECT verified_at, activate_at FROM attempts WHERE id = ?')
      .get(id)!;
    expect(both.verified_at).not.toBeNull();
    expect(both.activate_at).not.toBeNull();
    store.finishAttempt(id, { result: 'FAILED', timings: {} });
    expect(() => store.recordVerifiedActivating(id, { firmwareTarget: '0002012F', imageSha256: SHA, hubSha256: SHA })).toThrow(/not open/);
  });

  it('pages through hubs in Device ID order and filters by outcome', () => {
    for (let n = 10; n < 25; n++) {
      const id = store.beginAttempt(start(n));
      store.finishAttempt(id, n % 2 ? { result: 'FAILED', timings: {} } : { result: 'ALREADY_CURRENT', timings: {} });
    }
    const first = store.listHubs({ limit: 10 });
    expect(first.items).toHaveLength(10);
    const second = store.listHubs({ limit: 10, after: first.nextCursor! });
    expect(second.items).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((h) => h.deviceId)).toEqual([...first.items, ...second.items].map((h) => h.deviceId).sort());
    expect(store.listHubs({ limit: 100, outcome: 'FAILED' }).items).toHaveLength(7); // odd n in 10..24
  });

  it('keeps the journal append-only', () => {
    store.beginAttempt(start(30));
    expect(() => db.prepare('DELETE FROM hub_events').run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE hub_events SET kind = 'x'").run()).toThrow(/append-only/);
  });
});
