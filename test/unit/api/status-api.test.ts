import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { apiMetrics } from '../../helpers/api-metrics.js';
import { emptySlot } from '../../../src/bench/slot-view.js';
import { parseDeviceId, parseFirmwareVersion } from '../../../src/domain/identifiers.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { createStores } from '../../../src/store/stores.js';
import { inlineReports } from '../../../src/store/report-reader.js';

describe('status API', () => {
  let db: Db;
  let app: Awaited<ReturnType<typeof buildApp>>;
  const deviceId = parseDeviceId('00-DB-12-34-56-78-90-A0');

  beforeAll(async () => {
    db = openDatabase(join(mkdtempSync(join(tmpdir(), 'flashd-api-')), 'f.db'));
    const stores = createStores(db);
    const store = stores.flash;
    stores.workOrders.create({ id: 'WO-1', secPartyId: 'P1', cspRegion: 'South', source: 'api', operatorId: 't' }, { hubs: [{ deviceId }] }, () => true);
    stores.intake.scan({ deviceId, operatorId: 't' });
    const id = store.beginAttempt({
      identity: {
        deviceId,
        gpfDeviceId: parseDeviceId('00-DB-12-34-56-78-90-A1'),
        manufacturer: '1086',
        model: '0101030B',
        hardwareVersion: 2,
        firmwareVersion: parseFirmwareVersion('0002012A'),
        locked: true,
      },
      benchId: 'B',
      jigId: 'JIG-1',
      slot: 4,
      startedAt: new Date(),
      workOrderId: 'WO-1',
      operatorId: 't',
    });
    store.finishAttempt(id, {
      result: 'REFLASHED',
      firmwareTarget: '0002012F',
      firmwareAfter: '0002012F',
      imageSha256: 'aa'.repeat(32),
      hubSha256: 'aa'.repeat(32),
      timings: { transfer: 5 },
    });
    const slots = [
      { ...emptySlot('JIG-1', 4), present: true, phase: 'DONE' as const, progress: 1, deviceId, result: 'REFLASHED' as const },
      emptySlot('JIG-1', 5),
    ];
    const bench = { slots: () => slots, activeSessions: 0, operatorId: 't', setOperator: () => {}, retry: () => ({ jig: 'JIG-1', slot: 4 }) };
    const metrics = apiMetrics(bench, stores.outbox);
    app = await buildApp({
      benchId: 'B',
      bench,
      store,
      ...stores,
      isKnownModel: () => true,
      metrics,
      log: pino({ level: 'silent' }),
      reports: inlineReports(db),
    });
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  it('GET /api/v1/slots lists every slot with jig, slot, phase, progress and deviceId', async () => {
    const res = await app.inject('/api/v1/slots');
    expect(res.statusCode).toBe(200);
    expect(res.json<{ items: unknown[] }>().items).toEqual([
      expect.objectContaining({ jig: 'JIG-1', slot: 4, phase: 'DONE', progress: 1, deviceId, result: 'REFLASHED' }),
      expect.objectContaining({ jig: 'JIG-1', slot: 5, phase: 'EMPTY', progress: 0, deviceId: null }),
    ]);
  });

  it('GET /api/v1/hubs returns items with outcome and both versions', async () => {
    const res = await app.inject('/api/v1/hubs');
    expect(res.json()).toEqual({
      items: [expect.objectContaining({ deviceId, model: '0101030B', outcome: 'REFLASHED', previousFirmwareVersion: '0002012A', firmwareVersion: '0002012F' })],
      nextCursor: null,
    });
    expect((await app.inject('/api/v1/hubs?outcome=FAILED')).json()).toEqual({ items: [], nextCursor: null });
  });

  it('GET /api/v1/hubs/:deviceId returns the hub with its attempts', async () => {
    const res = await app.inject(`/api/v1/hubs/${deviceId.toLowerCase()}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ deviceId, attempts: [{ result: 'REFLASHED', slot: 4, timings: { transfer: 5 } }] });
  });

  it('answers bad input with a code and a reason', async () => {
    const malformed = await app.inject('/api/v1/hubs/not-a-device');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: 'DEVICE_ID_INVALID', message: expect.stringContaining('not-a-device') } });
    const unknown = await app.inject('/api/v1/hubs/00-00-00-00-00-00-00-01');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const badQuery = await app.inject('/api/v1/hubs?limit=0&outcome=MAYBE');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
    expect((await app.inject('/api/v1/nothing')).statusCode).toBe(404);
    // Fastify's own refusals carry documented codes, not FST_ERR_* names.
    const notJson = await app.inject({ method: 'POST', url: '/api/v1/intake', headers: { 'content-type': 'application/json' }, payload: '{ "deviceId": ' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
    const wrongType = await app.inject({ method: 'POST', url: '/api/v1/intake', headers: { 'content-type': 'application/xml' }, payload: '<scan/>' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json()).toMatchObject({ error: { code: 'REQUEST_MEDIA_TYPE' } });
    const huge = await app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ deviceId: 'x'.repeat(2_000_000) }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: { code: 'REQUEST_TOO_LARGE' } });
  });
});
