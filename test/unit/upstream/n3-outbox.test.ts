import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../../../src/store/outbox-records.js';
import { canonicalJson, N3_FIELDS, sha256Hex, type N3Notification } from '../../../src/upstream/n3-notification.js';
import { deviceIdOf, OutboxBench } from '../../helpers/outbox-bench.js';

const tempDb = (): string => join(mkdtempSync(join(tmpdir(), 'flashd-outbox-')), 'f.db');
const rows = (bench: OutboxBench): OutboxRecord[] =>
  (bench.db.prepare('SELECT id FROM n3_outbox ORDER BY id').all() as { id: number }[]).map((r) => bench.stores.outbox.get(r.id)!);

describe('N3 outbox sink', () => {
  let bench: OutboxBench;
  afterEach(() => bench.close());

  it('queues a complete notification with a re-flash, in the transaction that commits it', async () => {
    bench = await OutboxBench.open(tempDb());
    bench.order('WO-1', [0, 1, 2]);
    const before = bench.identity(0);
    const attemptId = bench.flash('WO-1', 0, 'REFLASHED', { jigId: 'JIG-2', slot: 7 });
    const [row, ...more] = rows(bench);
    expect(more).toEqual([]);
    const image = bench.catalog.latestFor(before.manufacturer, before.model)!;
    const n = row!.payload as unknown as N3Notification;
    expect(Object.keys(n).sort()).toEqual([...N3_FIELDS].sort());
    const attempt = bench.stores.flash.getHub(before.deviceId)!.attempts[0]!;
    expect(n).toEqual({
      idempotencyKey: row!.idempotencyKey,
      deviceId: before.deviceId,
      gpfDeviceId: before.gpfDeviceId,
      deviceType: 'CHF',
      manufacturer: before.manufacturer,
      model: before.model,
      hardwareVersion: before.hardwareVersion,
      previousFirmwareVersion: before.firmwareVersion,
      firmwareVersion: image.version,
      smetsChtsVersion: 'V1.3',
      hanVariant: 'Single Band',
      cspRegion: 'South',
      smiStatus: 'Pending',
      workOrderId: 'WO-1',
      secPartyId: 'PARTY-1',
      outcome: 'REFLASHED',
      completedAt: attempt.finishedAt,
      imageSha256: image.sha256,
      benchId: 'BENCH-T',
      jigId: 'JIG-2',
      slot: 7,
    });
    expect(row).toMatchObject({ attemptId, state: 'PENDING', outcome: 'REFLASHED', workOrderId: 'WO-1', deviceId: before.deviceId, attempts: 0 });
    expect(row!.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const stored = bench.db.prepare('SELECT payload_json AS json, payload_sha256 AS sha FROM n3_outbox').get() as { json: string; sha: string };
    expect(stored.json).toBe(canonicalJson(n as unknown as Record<string, string | number>));
    expect(stored.sha).toBe(sha256Hex(stored.json));
  });

  it('reports ALREADY_CURRENT with the catalogue image of the running version, and nothing for a failure', async () => {
    bench = await OutboxBench.open(tempDb());
    bench.order('WO-1', [3, 4]);
    bench.flash('WO-1', 3, 'FAILED');
    bench.flash('WO-1', 4, 'ALREADY_CURRENT');
    bench.stores.flash.recoverUnfinished();
    const all = rows(bench);
    expect(all.map((r) => [r.deviceId, r.outcome])).toEqual([[deviceIdOf(4), 'ALREADY_CURRENT']]);
    const image = bench.catalog.latestFor(bench.model(4).manufacturer, bench.model(4).model)!;
    expect(all[0]!.payload).toMatchObject({
      firmwareVersion: image.version,
      previousFirmwareVersion: image.version,
      imageSha256: image.sha256,
      hanVariant: 'Single Band',
      smetsChtsVersion: 'V1.2',
    });
  });

  it('reports SCRAP when a technician confirms it, with the last version read and the image tried', async () => {
    bench = await OutboxBench.open(tempDb());
    bench.order('WO-1', [5]);
    const before = bench.identity(5);
    const attemptId = bench.flash('WO-1', 5, 'FAILED');
    expect(rows(bench)).toEqual([]);
    bench.stores.settlement.confirmScrap(before.deviceId, 'tech-anna');
    const [row] = rows(bench);
    expect(row).toMatchObject({ outcome: 'SCRAP', attemptId });
    expect(row!.payload).toMatchObject({
      outcome: 'SCRAP',
      firmwareVersion: before.firmwareVersion,
      previousFirmwareVersion: before.firmwareVersion,
      smetsChtsVersion: 'V1.2',
    });
  });

  it('reports REJECTED only when configured', async () => {
    bench = await OutboxBench.open(tempDb());
    bench.order('WO-1', [6]);
    bench.flash('WO-1', 6, 'REJECTED');
    expect(rows(bench)).toEqual([]);
    bench.close();
    bench = await OutboxBench.open(tempDb(), { reportRejected: true });
    bench.order('WO-1', [6]);
    bench.flash('WO-1', 6, 'REJECTED');
    expect(rows(bench).map((r) => [r.outcome, r.payload.firmwareVersion])).toEqual([['REJECTED', 'FFFFFFF0']]);
  });

  it('commits nothing, neither outcome nor row, when the transaction fails after the row', async () => {
    let fail = false;
    bench = await OutboxBench.open(tempDb(), {}, [
      {
        committed: (c) => {
          if (fail && c.event === 'attempt-finished') throw new Error('disk full');
        },
      },
    ]);
    bench.order('WO-1', [7]);
    fail = true;
    expect(() => bench.flash('WO-1', 7, 'REFLASHED')).toThrow('disk full');
    expect(rows(bench)).toEqual([]);
    expect(bench.stores.workOrders.hubs('WO-1')[0]).toMatchObject({ state: 'FLASHING', outcome: null });
  });

  it('keeps a key bound to its content: unique, immutable, deleted only once delivered and settled, delivered stays delivered', async () => {
    bench = await OutboxBench.open(tempDb());
    bench.order('WO-1', [8, 9]);
    bench.flash('WO-1', 8, 'REFLASHED');
    const [row] = rows(bench);
    const insert = bench.db
      .prepare(`INSERT INTO n3_outbox (idempotency_key, device_id, work_order_id, attempt_id, outcome, payload_json, payload_sha256, created_at)
      VALUES (?, ?, 'WO-1', ?, 'REFLASHED', '{"other":1}', ?, 'now')`);
    const otherAttempt = bench.flash('WO-1', 9, 'FAILED');
    expect(() => insert.run(row!.idempotencyKey, deviceIdOf(9), otherAttempt, 'c'.repeat(64))).toThrow(/UNIQUE constraint failed: n3_outbox.idempotency_key/);
    expect(() => bench.db.prepare("UPDATE n3_outbox SET payload_json = '{}' WHERE id = ?").run(row!.id)).toThrow(/content never changes/);
    expect(() => bench.db.prepare("UPDATE n3_outbox SET idempotency_key = 'x-x-x-x-x-x-x-x-x' WHERE id = ?").run(row!.id)).toThrow(/content never changes/);
    expect(() => bench.db.prepare('DELETE FROM n3_outbox').run()).toThrow(/only a delivered notification of a settled work order is deleted/);
    bench.stores.outbox.markDelivered(row!.id, 'now', 201);
    expect(() => bench.db.prepare("UPDATE n3_outbox SET state = 'PENDING', delivered_at = NULL WHERE id = ?").run(row!.id)).toThrow(/stays delivered/);
    expect(bench.stores.outbox.get(row!.id)).toMatchObject({ state: 'DELIVERED', payloadSha256: row!.payloadSha256 });
  });

  it('hands out only the oldest undelivered row per Device ID; a dead letter holds the rest back until re-queued', async () => {
    bench = await OutboxBench.open(tempDb());
    for (const [i, wo] of ['WO-1', 'WO-2', 'WO-3'].entries()) {
      bench.order(wo, [10, 11]);
      bench.flash(wo, 10, i === 0 ? 'REFLASHED' : 'ALREADY_CURRENT');
      bench.flash(wo, 11, i === 0 ? 'REFLASHED' : 'ALREADY_CURRENT');
      bench.returnReady(wo);
    }
    const [a1, b1, a2, b2, a3] = rows(bench);
    const due = (): number[] => bench.stores.outbox.due(Date.now(), 10).map((i) => i.id);
    expect(due()).toEqual([a1!.id, b1!.id]);
    bench.stores.outbox.markDead(a1!.id, { at: 'now', status: 422, code: 'N3_REJECTED', message: 'HTTP 422: bad model' });
    bench.stores.outbox.markDelivered(b1!.id, 'now', 201);
    expect(due()).toEqual([b2!.id]);
    expect(bench.stores.outbox.summary()).toMatchObject({ pending: 4, blocked: 2, dead: 1, delivered: 1 });
    bench.stores.outbox.markRetry(b2!.id, { at: 'now', status: 503, code: 'N3_RETRY_LATER', message: 'busy' }, Date.now() + 60_000);
    expect(due()).toEqual([]);
    expect(bench.stores.outbox.nextDueMs()).toBeGreaterThan(Date.now() + 50_000);
    const requeued = bench.stores.outbox.requeue(a1!.id, 'tech-ben', 'later');
    expect(requeued).toMatchObject({ state: 'PENDING', requeueCount: 1, deadReason: 'HTTP 422: bad model', idempotencyKey: a1!.idempotencyKey });
    expect(due()).toEqual([a1!.id]);
    bench.stores.outbox.markDelivered(a1!.id, 'now', 201);
    expect(due()).toEqual([a2!.id]);
    expect(() => bench.stores.outbox.requeue(a1!.id, 'tech-ben', 'later')).toThrow(expect.objectContaining({ code: 'OUTBOX_NOT_DEAD' }));
    expect(() => bench.stores.outbox.requeue(999, 'tech-ben', 'later')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(a3!.deviceId).toBe(deviceIdOf(10));
    const journal = bench.db.prepare("SELECT operator_id AS who, data_json AS data FROM work_order_events WHERE kind = 'n3-requeued'").all();
    expect(journal).toEqual([{ who: 'tech-ben', data: expect.stringContaining(a1!.idempotencyKey) }]);
  });
});
