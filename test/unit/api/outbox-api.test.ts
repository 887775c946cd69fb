import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { apiMetrics } from '../../helpers/api-metrics.js';
import { OutboxBench } from '../../helpers/outbox-bench.js';
import { inlineReports } from '../../../src/store/report-reader.js';

describe('outbox API', () => {
  let bench: OutboxBench;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let wakes = 0;
  let ids: number[];

  beforeAll(async () => {
    bench = await OutboxBench.open(join(mkdtempSync(join(tmpdir(), 'flashd-outbox-api-')), 'f.db'));
    bench.order('WO-1', [0, 1, 2]);
    for (const n of [0, 1, 2]) bench.flash('WO-1', n, 'REFLASHED');
    bench.returnReady('WO-1');
    bench.order('WO-2', [0]);
    bench.flash('WO-2', 0, 'ALREADY_CURRENT');
    ids = bench.db.prepare('SELECT id FROM n3_outbox ORDER BY id').pluck().all() as number[];
    bench.stores.outbox.markDead(ids[0]!, { at: '2026-11-28T12:00:00.000Z', status: 422, code: 'N3_REJECTED', message: 'HTTP 422: INVALID smiStatus' });
    bench.stores.outbox.markDelivered(ids[1]!, '2026-11-28T12:00:01.000Z', 201);
    const api = { slots: () => [], activeSessions: 0, operatorId: 'bench-op', setOperator: () => {}, retry: () => ({ jig: 'JIG-1', slot: 1 }) };
    app = await buildApp({
      benchId: 'B',
      bench: api,
      store: bench.stores.flash,
      ...bench.stores,
      upstream: { mode: 'both', wake: () => void wakes++ },
      isKnownModel: () => true,
      metrics: apiMetrics(api, bench.stores.outbox, true),
      log: pino({ level: 'silent' }),
      reports: inlineReports(bench.db),
    });
  });
  afterAll(async () => {
    await app.close();
    bench.close();
  });

  it('GET /api/v1/outbox shows pending, blocked, delivered and dead counts, the oldest pending age and each dead letter with its reason', async () => {
    const res = await app.inject('/api/v1/outbox');
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown> & { deadLetters: Array<Record<string, unknown>> }>();
    expect(body).toMatchObject({ mode: 'both', n3Enabled: true, pending: 2, blocked: 1, delivered: 1, dead: 1, lastDeliveredAt: '2026-11-28T12:00:01.000Z' });
    expect(body.oldestPendingAgeSeconds).toEqual(expect.any(Number));
    expect(body.deadLetters).toEqual([
      expect.objectContaining({
        id: ids[0],
        state: 'DEAD',
        deadReason: 'HTTP 422: INVALID smiStatus',
        lastStatus: 422,
        workOrderId: 'WO-1',
        outcome: 'REFLASHED',
      }),
    ]);
    expect(body.deadLetters[0]!.payload).toMatchObject({ deviceId: body.deadLetters[0]!.deviceId, deviceType: 'CHF', slot: 1 });
  });

  it('POST /api/v1/outbox/:id/requeue puts a dead letter back, records who, and wakes the drainer', async () => {
    const signIn = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { operatorId: 'tech-ben' } });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const res = await app.inject({ method: 'POST', url: `/api/v1/outbox/${ids[0]}/requeue`, headers: { cookie, 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ids[0], state: 'PENDING', requeueCount: 1, deadReason: 'HTTP 422: INVALID smiStatus' });
    expect(wakes).toBe(1);
    expect(bench.db.prepare("SELECT operator_id FROM work_order_events WHERE kind = 'n3-requeued'").pluck().all()).toEqual(['tech-ben']);
    expect((await app.inject('/api/v1/outbox')).json()).toMatchObject({ pending: 3, blocked: 0, dead: 0, deadLetters: [] });
  });

  it('refuses to re-queue what is not a dead letter, or does not exist', async () => {
    const JSON_TYPE = { 'content-type': 'application/json' };
    expect((await app.inject({ method: 'POST', url: `/api/v1/outbox/${ids[1]}/requeue`, headers: JSON_TYPE })).json()).toMatchObject({
      error: { code: 'OUTBOX_NOT_DEAD' },
    });
    expect((await app.inject({ method: 'POST', url: `/api/v1/outbox/${ids[1]}/requeue`, headers: JSON_TYPE })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: '/api/v1/outbox/9999/requeue', headers: JSON_TYPE })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/v1/outbox/abc/requeue', headers: JSON_TYPE })).statusCode).toBe(400);
  });
});
