import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlServer, INSTANT_HUB_PROFILE, Simulator, generateStock, type HubTruth } from '../../../jig-sim/index.js';

let sim: Simulator;
let server: ControlServer;
let base: string;
let controlLines: string[];

beforeEach(async () => {
  sim = new Simulator({ jigs: 2, profileFor: () => INSTANT_HUB_PROFILE });
  sim.load(generateStock({ seed: 'control-api', count: 3 })); // JIG-1 slots 1..3
  server = new ControlServer(sim);
  base = await server.listen(0);
  controlLines = [];
  sim.openInProcess('JIG-1/control')!.on('data', (chunk: Buffer) => controlLines.push(...chunk.toString('ascii').split('\r\n').filter(Boolean)));
});

afterEach(async () => {
  await server.close();
  await sim.close();
});

async function post(body: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/actions`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function truth(): Promise<{ hubs: HubTruth[]; slots: Array<{ jig: string; slot: number; powered: boolean; present: boolean }>; faults: unknown[] }> {
  const res = await fetch(`${base}/truth`);
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

describe('simulator control API (HTTP on 127.0.0.1)', () => {
  it('listens on an ephemeral loopback port and GET /truth lists every hub as it is', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const t = await truth();
    expect(t.hubs).toHaveLength(3);
    expect(t.hubs[0]).toMatchObject({ jigId: 'JIG-1', slot: 1, heldImage: null, flashCount: 0, bricked: false });
    expect(t.slots).toHaveLength(16);
  });

  it('remove puts a hub on the shelf (still in the truth), insert by Device ID puts it back', async () => {
    const removed = await post({ action: 'remove', jig: 1, slot: 2 });
    expect(removed).toMatchObject({ status: 200, body: { ok: true } });
    const deviceId = removed.body.deviceId as string;
    expect((await truth()).hubs.find((h) => h.deviceId === deviceId)).toMatchObject({ jigId: null, slot: null });
    expect(await post({ action: 'insert', jig: 2, slot: 5, deviceId })).toMatchObject({ status: 200 });
    expect((await truth()).hubs.find((h) => h.deviceId === deviceId)).toMatchObject({ jigId: 'JIG-2', slot: 5 });
    expect(controlLines).toEqual(expect.arrayContaining(['!REMOVED slot=2']));
  });

  it('inserts from stock or from a spec, presses a button and cuts power', async () => {
    sim.addStock(generateStock({ seed: 'more', count: 1 }));
    expect(await post({ action: 'insert', jig: 1, slot: 8 })).toMatchObject({ status: 200 });
    const spec = { deviceId: '00-DB-12-34-56-78-90-A0', model: '0201040A', firmwareVersion: '00030100' };
    expect(await post({ action: 'insert', jig: 2, slot: 1, hub: spec })).toMatchObject({ status: 200, body: { deviceId: spec.deviceId } });
    expect((await truth()).hubs.find((h) => h.deviceId === spec.deviceId)).toMatchObject({ model: '0201040A', firmwareVersion: '00030100' });
    expect(await post({ action: 'press', jig: 1, slot: 1 })).toMatchObject({ status: 200 });
    expect(await post({ action: 'power', jig: 1, slot: 1, on: false })).toMatchObject({ status: 200 });
    expect((await truth()).hubs[0]).toMatchObject({ powered: false });
    expect(controlLines).toEqual(expect.arrayContaining(['!PRESENT slot=8 ins=1', '!BUTTON slot=1']));
  });

  it('injects a fault now and reports it in the truth', async () => {
    const res = await post({ action: 'fault', fault: { kind: 'brick', target: { jig: 1, slot: 1 } } });
    expect(res).toMatchObject({ status: 200, body: { fired: [expect.objectContaining({ kind: 'brick' })] } });
    const t = await truth();
    expect(t.hubs[0]).toMatchObject({ bricked: true });
    expect(t.faults).toHaveLength(1);
  });

  it.each([
    [{ action: 'melt' }, /\/action: must be one of "insert"/],
    [{ action: 'insert', jig: 1, slot: 1 }, /JIG-1\/1 already holds/],
    [{ action: 'remove', jig: 2, slot: 4 }, /JIG-2\/4 is empty/],
    [{ action: 'press', jig: 3, slot: 1 }, /jigs 1\.\.2, not 3/],
    [{ action: 'power', jig: 1, slot: 9, on: true }, /\/slot: /],
    [{ action: 'insert', jig: 2, slot: 2 }, /stock list is empty/],
    [
      { action: 'insert', jig: 2, slot: 2, hub: { deviceId: '00-DB-12-34-56-78-90-A0', model: 'FFFFFFFF', firmwareVersion: '00000001' } },
      /no Device Model FFFFFFFF/,
    ],
    [{ action: 'fault', fault: { kind: 'brick', when: { phase: 'VERIFY' } } }, /happens now/],
    [{ action: 'fault', fault: { kind: 'bit-errors', ratePerBit: 5 } }, /\/fault\/ratePerBit/],
  ])('answers 400 with the problem for %j', async (body, problem) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('SIM_ACTION_INVALID');
    expect(String(res.body.message)).toMatch(problem);
  });

  it('answers 400 to a body that is not JSON, 415 to another content type, 404 elsewhere', async () => {
    expect((await post('{nope')).status).toBe(400);
    expect((await post('{}', 'text/plain')).status).toBe(415);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/actions`)).status).toBe(405);
  });
});
