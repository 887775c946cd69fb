import { afterEach, describe, expect, it } from 'vitest';
import { MAX_WORK_ORDER_HUBS } from '../../../src/domain/work-order.js';
import { startApiApp, type ApiApp } from '../../helpers/api-app.js';

/** Issue 9, item 12: what clients can make the store hold is bounded, with clear errors. */
describe('store growth limits', () => {
  let api: ApiApp | undefined;
  afterEach(() => api?.close());

  const id = (order: number, hub: number) =>
    `00-DB-13-00-00-${order.toString(16).padStart(2, '0').toUpperCase()}-${(hub >> 8).toString(16).padStart(2, '0').toUpperCase()}-${(hub & 0xff).toString(16).padStart(2, '0').toUpperCase()}`;
  const hubs = (order: number, n: number) => Array.from({ length: n }, (_, i) => ({ deviceId: id(order, i) }));
  const create = (orderId: string, list: object[]) =>
    api!.app.inject({ method: 'POST', url: '/api/v1/work-orders', payload: { id: orderId, secPartyId: 'P1', cspRegion: 'North', hubs: list } });
  const count = (table: string) => (api!.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  it('refuses a work order past limits.maxOpenWorkOrders with 409 until one is closed or cancelled', async () => {
    api = await startApiApp({ workOrderLimits: { maxOpenWorkOrders: 3, maxNewHubsPerHour: 10_000 } });
    expect((await create('WO-2', hubs(2, 1))).statusCode).toBe(201);
    expect((await create('WO-3', hubs(3, 1))).statusCode).toBe(201);
    const refused = await create('WO-4', hubs(4, 1));
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({
      error: {
        requestId: expect.any(String),
        code: 'WORK_ORDERS_OPEN_LIMIT',
        message: 'work order WO-4: 3 work orders are open, the limit is 3; close or cancel one first',
        details: { workOrderId: 'WO-4', open: 3, limit: 3 },
      },
    });
    expect(count('work_orders')).toBe(3);
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/work-orders/WO-3/cancel', headers: { 'content-type': 'application/json' } })).statusCode).toBe(
      200,
    );
    expect((await create('WO-4', hubs(4, 1))).statusCode).toBe(201);
  });

  it('refuses hubs past limits.maxNewHubsPerHour with 429, counting a rolling hour', async () => {
    let now = Date.parse('2026-11-30T10:00:00Z');
    api = await startApiApp({ now: () => new Date(now), workOrderLimits: { maxOpenWorkOrders: 1000, maxNewHubsPerHour: 10 } });
    // WO-1 (1 hub) was seeded at 10:00.
    expect((await create('WO-2', hubs(2, 6))).statusCode).toBe(201);
    now += 30 * 60_000;
    const csv = `deviceId\n${hubs(3, 4)
      .map((h) => h.deviceId)
      .join('\n')}\n`;
    const refused = await api.app.inject({
      method: 'POST',
      url: '/api/v1/work-orders/import?id=WO-3&secPartyId=P1&cspRegion=North',
      headers: { 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      error: {
        requestId: expect.any(String),
        code: 'HUB_IMPORT_RATE_LIMIT',
        message: 'work order WO-3: its 4 hubs would make 11 on work orders created in the last hour, the limit is 10',
        details: { workOrderId: 'WO-3', hubs: 4, lastHour: 7, limit: 10 },
      },
    });
    expect(count('work_orders')).toBe(2);
    expect(count('work_order_hubs')).toBe(7);
    expect((await create('WO-3', hubs(3, 3))).statusCode).toBe(201);
    now += 31 * 60_000; // WO-1 and WO-2 are now more than an hour old
    expect((await create('WO-4', hubs(4, 7))).statusCode).toBe(201);
  });

  it(`answers a work order of more than ${MAX_WORK_ORDER_HUBS} hubs with 413 naming the maximum, from JSON or CSV`, async () => {
    api = await startApiApp();
    const json = await create('WO-BIG', hubs(5, MAX_WORK_ORDER_HUBS + 1));
    const csv = await api.app.inject({
      method: 'POST',
      url: '/api/v1/work-orders/import?id=WO-BIG&secPartyId=P1&cspRegion=North',
      headers: { 'content-type': 'text/csv' },
      payload: `deviceId\n${hubs(5, MAX_WORK_ORDER_HUBS + 1)
        .map((h) => h.deviceId)
        .join('\n')}\n`,
    });
    for (const res of [json, csv]) {
      expect(res.statusCode).toBe(413);
      expect(res.json()).toEqual({
        error: {
          requestId: expect.any(String),
          code: 'WORK_ORDER_TOO_LARGE',
          message: 'work order WO-BIG: 4481 hubs; at most 4480 in one work order',
          details: { workOrderId: 'WO-BIG', limit: MAX_WORK_ORDER_HUBS },
        },
      });
    }
    expect(count('work_orders')).toBe(1);
  });
});
