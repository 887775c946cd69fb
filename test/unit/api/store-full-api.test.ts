import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubId, startApiApp, type ApiApp } from '../../helpers/api-app.js';

/** A request that needs room in a full store is refused with 507 STORE_FULL, and stores nothing. */
describe('the API on a full store', () => {
  let api: ApiApp;
  beforeAll(async () => {
    api = await startApiApp();
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 507 STORE_FULL and keeps no part of the work order', async () => {
    const { db } = api;
    // Cap the store at its present size: the next page it needs is refused with SQLITE_FULL.
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    const hubs = Array.from({ length: 240 }, (_, i) => ({ deviceId: hubId(10 + i) }));
    const res = await api.app.inject({ method: 'POST', url: '/api/v1/work-orders', payload: { id: 'WO-FULL', secPartyId: 'P1', cspRegion: 'North', hubs } });
    expect(res.statusCode).toBe(507);
    expect(res.json()).toEqual({
      error: {
        code: 'STORE_FULL',
        message: 'the store is full (disk or store.maxSizeMiB): nothing was stored; free space and retry',
        requestId: expect.any(String),
      },
    });
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/work-orders/WO-FULL' })).statusCode).toBe(404);
    expect(db.prepare("SELECT count(*) FROM work_order_hubs WHERE work_order_id = 'WO-FULL'").pluck().get()).toBe(0);
    // Room again: the same request goes through.
    db.pragma('max_page_count = 1000000');
    const again = await api.app.inject({ method: 'POST', url: '/api/v1/work-orders', payload: { id: 'WO-FULL', secPartyId: 'P1', cspRegion: 'North', hubs } });
    expect(again.statusCode).toBe(201);
  });
});
