import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { apiMetrics } from '../../helpers/api-metrics.js';
import { FlashdError } from '../../../src/domain/errors.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { ReportThread } from '../../../src/store/report-reader.js';
import { createStores, type Stores } from '../../../src/store/stores.js';

const ID = (n: number) => `00-DB-12-00-00-00-02-${n.toString(16).toUpperCase().padStart(2, '0')}`;
const MODEL = '0101030B';
type App = Awaited<ReturnType<typeof buildApp>>;

function snapshot(db: Db): string {
  return JSON.stringify(['work_orders', 'work_order_hubs', 'work_order_events'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
}

describe('work order API', () => {
  let db: Db;
  let reports: ReportThread;
  let stores: Stores;
  let app: App;
  let benchOperator = 'bench';
  const retried: string[] = [];

  beforeEach(async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'flashd-woapi-')), 'f.db');
    db = openDatabase(path);
    // The exports and a work order's hubs are read in the report thread, over its own connection.
    reports = new ReportThread({ path });
    stores = createStores(db);
    retried.length = 0;
    benchOperator = 'bench';
    const bench = {
      slots: () => [],
      activeSessions: 0,
      get operatorId() {
        return benchOperator;
      },
      setOperator: (id: string) => void (benchOperator = id),
      retry: (deviceId: string) => {
        if (deviceId !== ID(1)) throw new FlashdError('HUB_NOT_IN_SLOT', `${deviceId} is not in a slot`);
        retried.push(deviceId);
        return { jig: 'JIG-1', slot: 3 };
      },
    };
    app = await buildApp({
      benchId: 'B',
      bench,
      store: stores.flash,
      ...stores,
      isKnownModel: (m) => m === MODEL,
      metrics: apiMetrics(bench, stores.outbox),
      log: pino({ level: 'silent' }),
      reports,
    });
  });
  afterEach(async () => {
    await app.close();
    await reports.close();
    db.close();
  });

  const post = (url: string, payload: object | string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: typeof payload === 'string' ? { 'content-type': 'text/csv', ...headers } : headers });
  const get = (url: string) => app.inject(`/api/v1${url}`);
  const create = (id: string, hubs: object[], secPartyId = 'P1') => post('/work-orders', { id, secPartyId, cspRegion: 'Central', hubs });
  /** A technician's sign-in: its cookie names the operator every mutation records. */
  const signIn = async (operatorId: string): Promise<Record<string, string>> => {
    const res = await post('/session', { operatorId });
    expect(res.statusCode).toBe(200);
    return { cookie: String(res.headers['set-cookie']).split(';')[0]! };
  };

  it('creates a work order from JSON, recording who asked', async () => {
    const res = await post(
      '/work-orders',
      { id: 'WO-1', secPartyId: 'P1', cspRegion: 'North', hubs: [{ deviceId: ID(1), model: MODEL }, { deviceId: ID(2) }] },
      await signIn('office-7'),
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      id: 'WO-1',
      secPartyId: 'P1',
      cspRegion: 'North',
      state: 'OPEN',
      source: 'api',
      createdBy: 'office-7',
      hubCount: 2,
      counts: { EXPECTED: 2 },
    });
    const detail = (await get('/work-orders/WO-1')).json<{ hubs: Array<{ deviceId: string; declaredModel: string | null; smiStatus: string }> }>();
    expect(detail.hubs.map((h) => [h.deviceId, h.declaredModel, h.smiStatus])).toEqual([
      [ID(1), MODEL, 'Pending'],
      [ID(2), null, 'Pending'],
    ]);
    expect((await get('/work-orders?state=OPEN')).json()).toMatchObject({ items: [{ id: 'WO-1' }], nextCursor: null });
  });

  it('imports a CSV file; a malformed file is a 422 listing every bad line, and nothing is stored', async () => {
    await create('WO-1', [{ deviceId: ID(9) }], 'P1');
    const before = snapshot(db);
    const file = `deviceId,model,smiStatus\n${ID(1)},${MODEL},Pending\n${ID(2)}\n00-DB-XX,${MODEL},\n${ID(1)},${MODEL},\n${ID(9)},${MODEL},\n"${ID(4)},${MODEL},\n`;
    const res = await post('/work-orders/import?id=WO-2&secPartyId=P2&cspRegion=South', file);
    expect(res.statusCode).toBe(422);
    const body = res.json<{ error: { code: string; message: string; details: { problems: Array<{ line: number; code: string }> } } }>();
    expect(body.error.code).toBe('WORK_ORDER_INVALID');
    expect(body.error.message).toMatch(/^work order WO-2: 5 bad lines, nothing stored: line 3/);
    expect(body.error.details.problems.map((p) => [p.line, p.code])).toEqual([
      [3, 'CSV_COLUMN_COUNT'],
      [4, 'DEVICE_ID_INVALID'],
      [5, 'WORK_ORDER_DUPLICATE_HUB'],
      [6, 'HUB_ON_OPEN_WORK_ORDER'],
      [7, 'CSV_MALFORMED'],
    ]);
    expect(snapshot(db)).toBe(before);

    const good = await post('/work-orders/import?id=WO-2&secPartyId=P2&cspRegion=South', `deviceId\n${ID(1)}\n${ID(2)}\n`);
    expect(good.statusCode).toBe(201);
    expect(good.json()).toMatchObject({ id: 'WO-2', source: 'csv', hubCount: 2 });
  });

  it('answers bad headers and bad ids with a code and a proper status, storing nothing', async () => {
    const before = snapshot(db);
    expect((await post('/work-orders/import?id=WO-3&secPartyId=P1&cspRegion=West', `deviceId\n${ID(1)}\n`)).json()).toMatchObject({
      error: { code: 'REQUEST_INVALID' },
    });
    expect((await post('/work-orders/import?id=WO 3&secPartyId=P1&cspRegion=South', `deviceId\n${ID(1)}\n`)).statusCode).toBe(400);
    expect((await create('WO-3', [])).json()).toMatchObject({ error: { code: 'WORK_ORDER_INVALID', details: { problems: [{ code: 'WORK_ORDER_EMPTY' }] } } });
    expect((await post('/session', { operatorId: 'no spaces' })).json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
    expect(snapshot(db)).toBe(before);
    await create('WO-3', [{ deviceId: ID(1) }]);
    expect((await create('WO-3', [{ deviceId: ID(2) }])).statusCode).toBe(409);
    expect((await get('/work-orders/WO-404')).json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('scans at intake: trims and upper-cases, accepts or rejects with a reason, 400 for a malformed ID', async () => {
    await create('WO-1', [{ deviceId: ID(1) }, { deviceId: ID(2), smiStatus: 'Commissioned' }, { deviceId: ID(3), smetsVersion: 'SMETS1' }]);
    const scan = async (deviceId: string, headers: Record<string, string> = {}) =>
      (await post('/intake', { deviceId }, headers)).json<{ decision: string; code?: string }>();
    expect(await scan(`\t${ID(1).toLowerCase()} \r\n`, await signIn('gi-3'))).toMatchObject({
      decision: 'ACCEPTED',
      deviceId: ID(1),
      workOrderId: 'WO-1',
      hub: { state: 'ACCEPTED', receivedBy: 'gi-3' },
    });
    expect(await scan(ID(1))).toMatchObject({ decision: 'REJECTED', code: 'HUB_ALREADY_RECEIVED' });
    expect(await scan(ID(2))).toMatchObject({ decision: 'REJECTED', code: 'SMI_STATUS_NOT_PENDING', hub: { state: 'REJECTED' } });
    expect(await scan(ID(3))).toMatchObject({ decision: 'REJECTED', code: 'NOT_SMETS2' });
    expect(await scan(ID(4))).toMatchObject({ decision: 'REJECTED', code: 'HUB_NOT_ON_WORK_ORDER', hub: null });
    expect((await post('/intake', { deviceId: ID(1), workOrderId: 'WO-9' })).statusCode).toBe(404);
    const bad = await post('/intake', { deviceId: '00DB1200000002' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'DEVICE_ID_INVALID', details: { value: '00DB1200000002' } } });
  });

  it('retries through the bench only a hub whose state allows it, and confirms scrap for whoever is signed in', async () => {
    await create('WO-1', [{ deviceId: ID(1) }, { deviceId: ID(2) }]);
    expect((await post(`/hubs/${ID(1)}/retry`, {})).json()).toMatchObject({ error: { code: 'HUB_TRANSITION_ILLEGAL' } }); // not received yet
    await post('/intake', { deviceId: ID(1) });
    await post('/intake', { deviceId: ID(2) });
    const ok = await post(`/hubs/${ID(1).toLowerCase()}/retry`, {});
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ deviceId: ID(1), jig: 'JIG-1', slot: 3 });
    expect(retried).toEqual([ID(1)]);
    expect((await post(`/hubs/${ID(2)}/retry`, {})).json()).toMatchObject({ error: { code: 'HUB_NOT_IN_SLOT' } });
    expect((await post(`/hubs/${ID(7)}/retry`, {})).statusCode).toBe(404);
    expect((await post(`/hubs/${ID(2)}/confirm-scrap`, {}, await signIn('tech-1'))).json()).toMatchObject({ error: { code: 'HUB_TRANSITION_ILLEGAL' } });
    const noBody = await app.inject({ method: 'POST', url: `/api/v1/hubs/${ID(2)}/confirm-scrap`, headers: { 'content-type': 'application/json' } });
    expect(noBody.json()).toMatchObject({ error: { code: 'HUB_TRANSITION_ILLEGAL' } }); // no body needed
    // Without a JSON (or CSV) type a mutation is what another site's page could send: refused unread.
    const untyped = await app.inject({ method: 'POST', url: `/api/v1/hubs/${ID(2)}/confirm-scrap` });
    expect([untyped.statusCode, untyped.json<{ error: { code: string } }>().error.code]).toEqual([415, 'REQUEST_MEDIA_TYPE']);
  });

  it('keeps who is at the bench', async () => {
    expect((await get('/bench/operator')).json()).toEqual({ operatorId: 'bench' });
    const put = await app.inject({ method: 'PUT', url: '/api/v1/bench/operator', payload: { operatorId: 'tech-9' } });
    expect(put.json()).toEqual({ operatorId: 'tech-9' });
    expect((await app.inject({ method: 'PUT', url: '/api/v1/bench/operator', payload: { operatorId: '' } })).statusCode).toBe(400);
    await create('WO-1', [{ deviceId: ID(1) }]);
    expect((await post('/intake', { deviceId: ID(1) })).json()).toMatchObject({ hub: { receivedBy: 'tech-9' } });
  });

  it('exports the manifest, charges by party and a batch SSMI file', async () => {
    await create('WO-1', [{ deviceId: ID(1) }, { deviceId: ID(2), smiStatus: 'Withdrawn' }], 'P1');
    await create('WO-2', [{ deviceId: ID(3) }], 'P1');
    await post('/intake', { deviceId: ID(2) });
    for (const [n, wo] of [
      [1, 'WO-1'],
      [3, 'WO-2'],
    ] as const) {
      db.prepare(
        "UPDATE work_order_hubs SET state = 'REFLASHED', outcome = 'REFLASHED', firmware_before = '0002012A', firmware_after = '0002012F', target_version = '0002012F' WHERE device_id = ? AND work_order_id = ?",
      ).run(ID(n), wo);
    }
    const manifest = (await get('/work-orders/WO-1/manifest')).json<{ returns: unknown[]; rejected: unknown[]; totals: Record<string, number> }>();
    expect(manifest.returns).toEqual([
      expect.objectContaining({ deviceId: ID(1), disposition: 'RETURN_REFLASHED', firmwareAfter: '0002012F', returned: false }),
    ]);
    expect(manifest.rejected).toEqual([expect.objectContaining({ deviceId: ID(2), disposition: 'RETURN_REJECTED', reasonCode: 'SMI_STATUS_NOT_PENDING' })]);
    const csv = await get('/work-orders/WO-1/manifest?format=csv');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="manifest-WO-1.csv"');
    expect(csv.body.split('\r\n').slice(1, 3)).toEqual([
      `WO-1,P1,${ID(1)},RETURN_REFLASHED,REFLASHED,false,0002012A,0002012F,,`,
      `WO-1,P1,${ID(2)},RETURN_REJECTED,REJECTED,false,,,SMI_STATUS_NOT_PENDING,`,
    ]);
    expect((await get('/charges?by=party&format=csv')).body).toBe(
      'secPartyId,workOrders,hubs,reflashed,alreadyCurrent,rejected,scrapped,inProcess,notReceived\r\nP1,2,3,2,0,1,0,0,0\r\n',
    );
    const period = await get('/charges?from=2026-11-01&to=2026-12-01');
    expect(period.json()).toMatchObject({ by: 'work-order', period: { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' } });
    const bad = await get('/charges?from=2026-11-31');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'PERIOD_INVALID', details: { from: '2026-11-31' } } });
    expect((await get('/charges?from=2026-12-01&to=2026-11-01')).json()).toMatchObject({ error: { code: 'PERIOD_INVALID' } });
    expect((await get('/ssmi?workOrderId=WO-2&workOrderId=WO-1')).body).toBe(`deviceId,firmwareVersion\r\n${ID(1)},0002012F\r\n${ID(3)},0002012F\r\n`);
    expect((await get('/ssmi?workOrderId=WO-9')).statusCode).toBe(404);
  });
});
