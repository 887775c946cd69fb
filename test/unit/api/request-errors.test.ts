import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubId, startApiApp, type ApiApp } from '../../helpers/api-app.js';
import { rawRequest } from '../../helpers/raw-http.js';
import { clientErrorReply } from '../../../src/api/error-replies.js';

/** Issue 9, items 9-11: bad input gets a documented error body, never a 500 or a framework's own. */
describe('status API refusals over real HTTP', () => {
  let api: ApiApp;
  beforeAll(async () => void (api = await startApiApp()));
  afterAll(() => api.close());

  const send = (head: string, body = '') => rawRequest(api.port, Buffer.from(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n${body}`, 'utf8'));
  const get = async (path: string) => {
    const res = (await send(`GET ${path} HTTP/1.1`))!;
    return { status: res.status, body: JSON.parse(res.body) as unknown };
  };
  const count = (table: string) => (api.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  it.each(['Infinity', '-Infinity', '1e309', '-1e309'])('refuses limit=%s on every paged list with 400 REQUEST_INVALID', async (limit) => {
    for (const path of ['/api/v1/hubs', '/api/v1/work-orders', '/api/v1/outbox']) {
      expect(await get(`${path}?limit=${limit}`), path).toEqual({
        status: 400,
        body: {
          error: {
            requestId: expect.any(String),
            code: 'REQUEST_INVALID',
            message: 'querystring/limit must be a finite number',
            details: { field: 'querystring/limit' },
          },
        },
      });
    }
  });

  it('refuses a non-finite number in a path parameter', async () => {
    const res = (await send('POST /api/v1/outbox/1e309/requeue HTTP/1.1\r\nContent-Type: application/json'))!;
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      error: { requestId: expect.any(String), code: 'REQUEST_INVALID', message: 'params/id must be a finite number', details: { field: 'params/id' } },
    });
  });

  it('answers a too-long path segment with 414 REQUEST_URL_TOO_LONG, without echoing the URL', async () => {
    const res = await get(`/api/v1/work-orders/${'a'.repeat(5000)}`);
    expect(res).toEqual({
      status: 414,
      body: {
        error: {
          requestId: expect.any(String),
          code: 'REQUEST_URL_TOO_LONG',
          message: 'a path segment is longer than 100 characters',
          details: { limit: 100 },
        },
      },
    });
  });

  it('answers bad percent-encoding with 400 REQUEST_INVALID', async () => {
    for (const path of ['/api/v1/hubs/%', '/api/v1/work-orders/%E0%A4%A']) {
      expect(await get(path)).toEqual({
        status: 400,
        body: { error: { requestId: expect.any(String), code: 'REQUEST_INVALID', message: 'the request URL is not valid percent-encoded UTF-8' } },
      });
    }
  });

  it("answers what Node's parser refuses in the API's format: a bad request line (400), oversized headers (431)", async () => {
    const garbage = (await rawRequest(api.port, Buffer.from('GARBAGE\r\n\r\n')))!;
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body)).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
    const big = (await send(`GET /api/v1/health HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}`))!;
    expect(big.status).toBe(431);
    expect(JSON.parse(big.body)).toEqual({
      error: { code: 'REQUEST_HEADERS_TOO_LARGE', message: 'the request line and headers are larger than 16384 bytes', details: { limitBytes: 16_384 } },
    });
    const expect417 = (await send('GET /api/v1/health HTTP/1.1\r\nExpect: teapot'))!;
    expect(expect417.status).toBe(417);
    expect(JSON.parse(expect417.body)).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
  });

  it('answers a request that never completes with 408 REQUEST_TIMEOUT (the 30 s request timeout is not waited for here)', () => {
    const err = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    expect(clientErrorReply(err)).toEqual({
      status: 408,
      body: { error: { code: 'REQUEST_TIMEOUT', message: 'the request did not arrive completely in time' } },
    });
  });

  it("names the byte limit in a 413: the API's 1 MiB, or the smaller limit of a route that takes small bodies", async () => {
    const big = JSON.stringify({ id: 'x'.repeat(1_100_000) });
    const res = (await send(`POST /api/v1/work-orders HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${big.length}`, big))!;
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({
      error: {
        requestId: expect.any(String),
        code: 'REQUEST_TOO_LARGE',
        message: "the request body is larger than this route's 1048576-byte limit",
        details: { limitBytes: 1_048_576 },
      },
    });
    const scan = JSON.stringify({ deviceId: 'x'.repeat(5000) });
    const small = (await send(`POST /api/v1/intake HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${scan.length}`, scan))!;
    expect(small.status).toBe(413);
    expect(JSON.parse(small.body)).toEqual({
      error: {
        requestId: expect.any(String),
        code: 'REQUEST_TOO_LARGE',
        message: "the request body is larger than this route's 4096-byte limit",
        details: { limitBytes: 4096 },
      },
    });
  });

  it('refuses text/plain bodies with 415 and stores nothing: a web page cannot create a work order', async () => {
    const orders = count('work_orders');
    const csv = `deviceId\n${hubId(5)}\n`;
    const json = JSON.stringify({ id: 'WO-X', secPartyId: 'P1', cspRegion: 'North', hubs: [{ deviceId: hubId(5) }] });
    for (const [path, body] of [
      ['/api/v1/work-orders/import?id=WO-X&secPartyId=P1&cspRegion=North', csv],
      ['/api/v1/work-orders', json],
      ['/api/v1/intake', JSON.stringify({ deviceId: hubId(5) })],
    ] as const) {
      for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded']) {
        const res = (await send(`POST ${path} HTTP/1.1\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}`, body))!;
        expect([path, type, res.status]).toEqual([path, type, 415]);
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'REQUEST_MEDIA_TYPE' } });
      }
    }
    // Each route takes its one type: JSON to the CSV import, CSV to the JSON create.
    const wrongWay = (await send(`POST /api/v1/work-orders HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: ${csv.length}`, csv))!;
    expect(wrongWay.status).toBe(415);
    const jsonImport = (await send(
      `POST /api/v1/work-orders/import?id=WO-X&secPartyId=P1&cspRegion=North HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${json.length}`,
      json,
    ))!;
    expect(jsonImport.status).toBe(415);
    expect(count('work_orders')).toBe(orders);
    const imported = (await send(
      `POST /api/v1/work-orders/import?id=WO-X&secPartyId=P1&cspRegion=North HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: ${csv.length}`,
      csv,
    ))!;
    expect(imported.status).toBe(201);
  });
});
