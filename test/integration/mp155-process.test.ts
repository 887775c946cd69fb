import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { DEFAULT_HUB_PROFILE, generateStock, type HubSpec } from '../../jig-sim/index.js';
import type { SlotView } from '../../src/bench/slot-view.js';
import { parseFirmwareVersion } from '../../src/domain/identifiers.js';
import type { Manifest } from '../../src/domain/manifest.js';
import type { WorkOrderRecord } from '../../src/records/work-order.js';
import type { WorkOrderHubRecord } from '../../src/records/work-order-hub.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { eventually } from '../helpers/wait-for.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));
const WO = 'WO-2026-0042';
const PARTY = 'PARTY-A';

/**
 * The whole MP155 loop on a real bench (simulator over TCP, piscina workers, SQLite file), driven
 * through the HTTP API as the back-office and technicians would: 16 hubs ordered, 15 received plus
 * a stranger, one already current, one knocked off power mid-transfer (fails, then recovers on a
 * retry), one whose unlock secret is not the configured one (fails, locks itself out, scrap is
 * proposed and confirmed). The manifest, charges and SSMI file must say exactly that, and the
 * simulator's ground truth must agree with every version flashd reports.
 */
describe('MP155 process end to end', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('orders, takes in, flashes, retries, scraps, reports and returns exactly what happened', { timeout: 90_000 }, async () => {
    const stock = generateStock({ seed: 'mp155-e2e', count: 17 });
    const current = (stock[2] = { ...stock[2]!, firmwareVersion: parseFirmwareVersion(LATEST.get(stock[2]!.model)!) });
    const scrap = (stock[5] = { ...stock[5]!, masterKey: Buffer.alloc(32, 0x42) }); // its secret is not the configured key
    const glitch = stock[7]!;
    const unscanned = stock[15]!;
    const stranger = stock[16]!;
    const ordered = stock.slice(0, 16);
    const received = stock.slice(0, 15);

    harness = new BenchHarness({
      jigs: 2,
      stock: [],
      // The scrap hub locks itself out after 2 refused unlocks, so its third attempt meets UNLOCK_LOCKED_OUT.
      profileFor: (spec) => (spec.deviceId === scrap.deviceId ? { ...DEFAULT_HUB_PROFILE, maxUnlockAttempts: 2 } : DEFAULT_HUB_PROFILE),
      // Short acknowledgement timeouts so the power-cut hub fails in about two seconds, not sixteen.
      config: { process: { maxAttempts: 3 }, sessions: { timeouts: { ackTimeoutMs: 600, transferRetries: 2 } } },
    });
    await harness.start();
    const app = await harness.api();
    const api = async <T>(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const csv = typeof body === 'string';
      const type = csv ? 'text/csv' : method === 'GET' ? undefined : 'application/json';
      const res = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers: type ? { ...headers, 'content-type': type } : headers,
        ...(body === undefined ? {} : { payload: body as string | object }),
      });
      const json = String(res.headers['content-type']).startsWith('application/json');
      return { status: res.statusCode, body: json ? res.json<T>() : (res.body as T), text: res.body };
    };

    // Back-office: import the work order DCC authorised.
    const csv = ['deviceId,model,firmwareVersion,smiStatus', ...ordered.map((h) => `${h.deviceId},${h.model},${h.firmwareVersion},Pending`)].join('\n');
    const created = await api<WorkOrderRecord>('POST', `/work-orders/import?id=${WO}&secPartyId=${PARTY}&cspRegion=South`, csv);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: WO, secPartyId: PARTY, state: 'OPEN', hubCount: 16, counts: { EXPECTED: 16 } });

    // Goods-in: scan 15 as a scanner types them, and a stranger nobody ordered.
    expect((await api('PUT', '/bench/operator', { operatorId: 'tech-anna' })).status).toBe(200);
    for (const hub of received) {
      const scan = await api<{ decision: string }>('POST', '/intake', { deviceId: `  ${hub.deviceId.toLowerCase()} ` });
      expect(scan.body, hub.deviceId).toMatchObject({ decision: 'ACCEPTED', deviceId: hub.deviceId, workOrderId: WO });
    }
    const refused = await api('POST', '/intake', { deviceId: stranger.deviceId });
    expect(refused.body).toMatchObject({ decision: 'REJECTED', code: 'HUB_NOT_ON_WORK_ORDER', workOrderId: null, hub: null });

    // Technicians fill the slots; the stranger goes into the last one by mistake.
    const where = new Map<string, { jig: string; slot: number }>();
    const place = (hub: HubSpec, i: number): void => {
      const at = { jig: i < 8 ? 'JIG-1' : 'JIG-2', slot: (i % 8) + 1 };
      where.set(hub.deviceId, at);
      harness!.simulator.jig(at.jig).insert(at.slot, hub);
    };
    let cut = false;
    harness.bench.on('slot', (view: SlotView) => {
      if (cut || view.deviceId !== glitch.deviceId || view.phase !== 'TRANSFERRING' || view.progress <= 0) return;
      cut = true; // the slot loses power part-way through the transfer
      harness!.simulator.jig(view.jig).setPower(view.slot, false);
    });
    [...received, stranger].forEach(place);
    await harness.finished(16);
    expect(cut).toBe(true);

    const strangerSlot = where.get(stranger.deviceId)!;
    const view = harness.bench.slots().find((s) => s.jig === strangerSlot.jig && s.slot === strangerSlot.slot)!;
    expect(view).toMatchObject({ deviceId: stranger.deviceId, result: 'REJECTED', error: { code: 'HUB_NOT_ON_WORK_ORDER' }, workOrderId: null });
    await eventually(() => expect(harness!.simulator.jig(strangerSlot.jig).slot(strangerSlot.slot).led).toBe('AMBER'));
    expect(harness.store.getHub(stranger.deviceId)).toBeUndefined(); // no attempt on a hub that is not ours

    const hubState = async (id: string) => (await api<{ items: WorkOrderHubRecord[] }>('GET', `/hubs/${id}/work-orders`)).body.items[0]!;
    expect(await hubState(glitch.deviceId)).toMatchObject({ state: 'FAILED', failedAttempts: 1 });
    expect(await hubState(scrap.deviceId)).toMatchObject({ state: 'FAILED', reasonCode: 'UNLOCK_REFUSED' });
    expect(await hubState(current.deviceId)).toMatchObject({ state: 'ALREADY_CURRENT', outcome: 'ALREADY_CURRENT' });

    // The power comes back; a technician retries from the back-office.
    const glitchAt = where.get(glitch.deviceId)!;
    harness.simulator.jig(glitchAt.jig).setPower(glitchAt.slot, true);
    // Who acts is who signed in (a session cookie), never a header the client declares.
    const signIn = async (operatorId: string) => ({
      cookie: String((await app.inject({ method: 'POST', url: '/api/v1/session', payload: { operatorId } })).headers['set-cookie']).split(';')[0]!,
    });
    const retry = await api('POST', `/hubs/${glitch.deviceId}/retry`, {}, await signIn('tech-ben'));
    expect(retry).toMatchObject({ status: 202, body: { jig: glitchAt.jig, slot: glitchAt.slot } });
    await harness.finished(17);
    expect(await hubState(glitch.deviceId)).toMatchObject({ state: 'REFLASHED', attemptCount: 2, failedAttempts: 1 });

    // The wrong-key hub: two more tries; it locks itself out, and scrap is proposed, not decided.
    for (const n of [18, 19]) {
      expect((await api('POST', `/hubs/${scrap.deviceId}/retry`, {})).status).toBe(202);
      await harness.finished(n);
    }
    expect(await hubState(scrap.deviceId)).toMatchObject({ state: 'SCRAP_PROPOSED', outcome: 'SCRAP', reasonCode: 'UNLOCK_LOCKED_OUT', failedAttempts: 3 });
    expect(await api('POST', `/hubs/${scrap.deviceId}/retry`, {})).toMatchObject({ status: 409, body: { error: { code: 'HUB_TRANSITION_ILLEGAL' } } });
    expect(await api('POST', `/hubs/${glitch.deviceId}/retry`, {})).toMatchObject({ status: 409, body: { error: { code: 'HUB_TRANSITION_ILLEGAL' } } });
    const confirmed = await api('POST', `/hubs/${scrap.deviceId}/confirm-scrap`, { note: 'locked out' }, await signIn('tech-anna'));
    expect(confirmed).toMatchObject({ status: 200, body: { state: 'SCRAPPED', scrapConfirmedBy: 'tech-anna' } });

    // Every attempt says who, where, with which image and versions, and how long each phase took.
    const attempts = harness.store.getHub(glitch.deviceId)!.attempts;
    expect(attempts.map((a) => [a.result, a.operatorId, a.workOrderId])).toEqual([
      ['FAILED', 'tech-anna', WO],
      ['REFLASHED', 'tech-ben', WO],
    ]);
    expect(attempts[1]).toMatchObject({
      jigId: glitchAt.jig,
      slot: glitchAt.slot,
      firmwareBefore: glitch.firmwareVersion,
      firmwareAfter: LATEST.get(glitch.model),
    });
    expect(attempts[1]!.imageSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(attempts[1]!.timings).sort()).toEqual(['activate', 'identify', 'readBack', 'transfer', 'unlock', 'verify']);

    // Ground truth from the simulator.
    const truth = new Map(harness.simulator.truth().map((t) => [t.deviceId, t]));
    const reflashed = received.filter((h) => h !== current && h !== scrap);
    for (const hub of reflashed) expect(truth.get(hub.deviceId), hub.deviceId).toMatchObject({ firmwareVersion: LATEST.get(hub.model), flashCount: 1 });
    expect(truth.get(current.deviceId)).toMatchObject({ firmwareVersion: current.firmwareVersion, flashCount: 0 });
    expect(truth.get(scrap.deviceId)).toMatchObject({ firmwareVersion: scrap.firmwareVersion, flashCount: 0, lockedOut: true });
    expect(truth.get(stranger.deviceId)).toMatchObject({ firmwareVersion: stranger.firmwareVersion, flashCount: 0 });

    // The manifest says exactly that.
    const manifest = (await api<Manifest<WorkOrderRecord>>('GET', `/work-orders/${WO}/manifest`)).body;
    expect(manifest.totals).toEqual({
      RETURN_REFLASHED: 13,
      RETURN_ALREADY_CURRENT: 1,
      RETURN_REJECTED: 0,
      SCRAPPED: 1,
      IN_PROCESS: 0,
      EXPECTED: 1,
      NOT_RECEIVED: 0,
    });
    expect(manifest.returns.map((l) => l.deviceId).sort()).toEqual([...reflashed, current].map((h) => h.deviceId).sort());
    for (const line of manifest.returns) expect(line.firmwareAfter, line.deviceId).toBe(truth.get(line.deviceId)!.firmwareVersion);
    expect(manifest.scrapped).toEqual([expect.objectContaining({ deviceId: scrap.deviceId, reasonCode: 'UNLOCK_LOCKED_OUT', scrapConfirmedBy: 'tech-anna' })]);
    expect(manifest.notReceived).toEqual([expect.objectContaining({ deviceId: unscanned.deviceId, state: 'EXPECTED' })]);
    const manifestCsv = await api<string>('GET', `/work-orders/${WO}/manifest?format=csv`);
    const manifestRows = manifestCsv.text.trimEnd().split('\r\n');
    expect(manifestRows[0]).toBe('workOrderId,secPartyId,deviceId,disposition,state,returned,firmwareBefore,firmwareAfter,reasonCode,flags');
    expect(manifestRows).toHaveLength(17);
    expect(manifestRows).toContain(`${WO},${PARTY},${scrap.deviceId},SCRAPPED,SCRAPPED,false,${scrap.firmwareVersion},,UNLOCK_LOCKED_OUT,`);
    expect(manifestRows).toContain(
      `${WO},${PARTY},${current.deviceId},RETURN_ALREADY_CURRENT,ALREADY_CURRENT,false,${current.firmwareVersion},${current.firmwareVersion},,`,
    );

    // The charging record: 13 re-flashed is the Explicit Charge basis.
    const charges = await api<string>('GET', `/charges?format=csv`);
    expect(charges.text.split('\r\n').slice(0, 2)).toEqual([
      'secPartyId,workOrderId,cspRegion,workOrderState,createdAt,hubs,reflashed,alreadyCurrent,rejected,scrapped,inProcess,notReceived',
      `${PARTY},${WO},South,OPEN,${created.body.createdAt},16,13,1,0,1,0,1`,
    ]);

    // A billing period from the order's day (two days, should the run cross midnight) charges the
    // same; one that ended as that day began charges nothing.
    const orderDay = created.body.createdAt.slice(0, 10);
    const twoDaysOn = new Date(Date.parse(`${orderDay}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
    const thisPeriod = await api<{ items: unknown[] }>('GET', `/charges?from=${orderDay}&to=${twoDaysOn}`);
    expect(thisPeriod.body.items).toEqual([expect.objectContaining({ reflashed: 13, alreadyCurrent: 1, rejected: 0, scrapped: 1 })]);
    expect((await api<{ items: unknown[] }>('GET', `/charges?to=${orderDay}`)).body.items).toEqual([]);

    // The SSMI file (Option B): the 13 re-flashed hubs with the versions they really run.
    const ssmi = (await api<string>('GET', `/work-orders/${WO}/ssmi`)).text.trimEnd().split('\r\n');
    expect(ssmi[0]).toBe('deviceId,firmwareVersion');
    expect(ssmi.slice(1)).toEqual(reflashed.map((h) => `${h.deviceId},${truth.get(h.deviceId)!.firmwareVersion}`).sort());

    // Returns go only to the party that sent them, and only hubs that have their outcome.
    const toReturn = manifest.returns.map((l) => l.deviceId);
    expect(await api('POST', `/work-orders/${WO}/returns`, { deviceIds: toReturn, secPartyId: 'PARTY-B' })).toMatchObject({
      status: 409,
      body: { error: { code: 'RETURN_PARTY_MISMATCH' } },
    });
    expect(await api('POST', `/work-orders/${WO}/returns`, { deviceIds: [...toReturn, scrap.deviceId] })).toMatchObject({
      status: 409,
      body: { error: { code: 'HUB_TRANSITION_ILLEGAL' } },
    });
    expect((await api<WorkOrderRecord>('GET', `/work-orders/${WO}`)).body.counts).not.toHaveProperty('RETURNED'); // all or nothing
    const returned = await api<{ workOrder: WorkOrderRecord }>('POST', `/work-orders/${WO}/returns`, { deviceIds: toReturn, secPartyId: PARTY });
    expect(returned.status).toBe(200);
    expect(returned.body.workOrder).toMatchObject({ state: 'OPEN', counts: { RETURNED: 14, SCRAPPED: 1, EXPECTED: 1 } });
    const closed = await api('POST', `/work-orders/${WO}/close`);
    expect(closed).toMatchObject({ status: 200, body: { state: 'CLOSED', counts: { RETURNED: 14, SCRAPPED: 1, NOT_RECEIVED: 1 } } });
    expect((await api('POST', '/intake', { deviceId: unscanned.deviceId })).body).toMatchObject({ decision: 'REJECTED', code: 'WORK_ORDER_CLOSED' });
    // Returned hubs still count as re-flashed.
    const after = await api<{ items: Array<{ reflashed: number; workOrderState: string }> }>('GET', `/charges?workOrderId=${WO}`);
    expect(after.body.items).toEqual([expect.objectContaining({ reflashed: 13, workOrderState: 'CLOSED' })]);
  });
});
