import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFlashdError, type FlashdError } from '../../../src/domain/errors.js';
import { parseDeviceId, parseFirmwareVersion } from '../../../src/domain/identifiers.js';
import type { HubTransitionRecord } from '../../../src/store/hub-transitions.js';
import { openDatabase, type Db } from '../../../src/store/open-database.js';
import { ChargesStore } from '../../../src/store/charges-store.js';
import { createStores, type Stores } from '../../../src/store/stores.js';

const ID = (n: number) => parseDeviceId(`00-DB-12-00-00-00-01-${n.toString(16).toUpperCase().padStart(2, '0')}`);
const known = (model: string) => model === '0101030B';
const order = (id: string, secPartyId = 'P1') => ({ id, secPartyId, cspRegion: 'South' as const, source: 'csv' as const, operatorId: 'office-1' });
const csv = (...ns: number[]) => ['deviceId,model', ...ns.map((n) => `${ID(n)},0101030B`)].join('\n');

/** Every row of every table the process writes, to prove a refused request stored nothing. */
function snapshot(db: Db): string {
  return JSON.stringify(
    ['work_orders', 'work_order_hubs', 'work_order_events', 'attempts', 'hubs'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()),
  );
}
function thrown(fn: () => unknown): FlashdError {
  try {
    fn();
  } catch (err) {
    if (isFlashdError(err)) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('work orders in the store', () => {
  let db: Db;
  let s: Stores;
  let charges: ChargesStore;
  const changes: HubTransitionRecord[] = [];
  let failSink = false;
  beforeEach(() => {
    db = openDatabase(join(mkdtempSync(join(tmpdir(), 'flashd-wo-')), 'f.db'));
    changes.length = 0;
    failSink = false;
    charges = new ChargesStore(db);
    s = createStores(db, {
      sinks: [
        {
          committed: (c) => {
            if (failSink) throw new Error('outbox full');
            changes.push(c);
          },
        },
      ],
    });
  });
  afterEach(() => db.close());

  it('imports all or nothing: one bad line stores nothing and every bad line is reported', () => {
    s.workOrders.create(order('WO-1'), { csv: csv(1, 2) }, known);
    const before = snapshot(db);
    const err = thrown(() =>
      s.workOrders.create(order('WO-2'), { csv: `${csv(3, 4)}\n${ID(5)},0999999X\nnot-an-id,0101030B\n${ID(3)},0101030B\n${ID(1)},0101030B` }, known),
    );
    expect(err.code).toBe('WORK_ORDER_INVALID');
    expect((err.details!.problems as Array<{ line: number; code: string }>).map((p) => [p.line, p.code])).toEqual([
      [4, 'MODEL_UNKNOWN'],
      [5, 'DEVICE_ID_INVALID'],
      [6, 'WORK_ORDER_DUPLICATE_HUB'],
      [7, 'HUB_ON_OPEN_WORK_ORDER'],
    ]);
    expect(snapshot(db)).toBe(before);
    expect(s.workOrders.get('WO-2')).toBeUndefined();
  });

  it('refuses a hub live on another open work order, naming the other party', () => {
    s.workOrders.create(order('WO-1', 'P1'), { csv: csv(1) }, known);
    const before = snapshot(db);
    const err = thrown(() => s.workOrders.create(order('WO-2', 'P2'), { hubs: [{ deviceId: ID(2) }, { deviceId: ID(1) }] }, known));
    expect(err.details!.problems).toEqual([
      expect.objectContaining({ line: 2, code: 'HUB_ON_OPEN_WORK_ORDER', message: expect.stringContaining('of SEC Party P1') }),
    ]);
    expect(thrown(() => s.workOrders.create(order('WO-1'), { csv: csv(9) }, known)).code).toBe('WORK_ORDER_EXISTS');
    expect(snapshot(db)).toBe(before);
    // The database itself refuses a hub live twice, whatever the code above it does.
    expect(() =>
      db
        .prepare(
          "INSERT INTO work_orders (id, sec_party_id, csp_region, state, source, created_at, created_by) VALUES ('X', 'P', 'South', 'OPEN', 'api', 't', 'o')",
        )
        .run(),
    ).not.toThrow();
    expect(() =>
      db
        .prepare(
          `INSERT INTO work_order_hubs (work_order_id, device_id, line, smi_status, smets_version, state, updated_at) VALUES ('X', ?, 1, 'Pending', 'SMETS2', 'EXPECTED', 't')`,
        )
        .run(ID(1)),
    ).toThrow(/UNIQUE/);
  });

  it('takes hubs in, journals every scan and reports each transition to the sinks', () => {
    s.workOrders.create(order('WO-1'), { hubs: [{ deviceId: ID(1) }, { deviceId: ID(2), smiStatus: 'Withdrawn' }] }, known);
    expect(s.intake.scan({ deviceId: ` ${ID(1).toLowerCase()}\n`, operatorId: 'gi-1' })).toMatchObject({
      decision: 'ACCEPTED',
      hub: { state: 'ACCEPTED', receivedBy: 'gi-1' },
    });
    expect(s.intake.scan({ deviceId: ID(2), operatorId: 'gi-1' })).toMatchObject({
      decision: 'REJECTED',
      code: 'SMI_STATUS_NOT_PENDING',
      hub: { state: 'REJECTED', outcome: 'REJECTED' },
    });
    expect(s.intake.scan({ deviceId: ID(1), operatorId: 'gi-1' })).toMatchObject({
      decision: 'REJECTED',
      code: 'HUB_ALREADY_RECEIVED',
      hub: { state: 'ACCEPTED' },
    });
    expect(s.intake.scan({ deviceId: ID(7), operatorId: 'gi-1' })).toMatchObject({ decision: 'REJECTED', code: 'HUB_NOT_ON_WORK_ORDER', hub: null });
    expect(changes.map((c) => [c.hub.deviceId, c.event, c.to.state])).toEqual([
      [ID(1), 'intake-accepted', 'ACCEPTED'],
      [ID(2), 'intake-rejected', 'REJECTED'],
    ]);
    const scans = db.prepare("SELECT device_id, kind, work_order_id FROM work_order_events WHERE kind LIKE '%intake%' ORDER BY id").all();
    expect(scans).toEqual([
      { device_id: ID(1), kind: 'hub-intake-accepted', work_order_id: 'WO-1' },
      { device_id: ID(2), kind: 'hub-intake-rejected', work_order_id: 'WO-1' },
      { device_id: ID(1), kind: 'intake-scan-refused', work_order_id: 'WO-1' },
      { device_id: ID(7), kind: 'intake-scan-refused', work_order_id: null },
    ]);
    expect(thrown(() => s.intake.scan({ deviceId: 'garbage', operatorId: 'gi-1' })).code).toBe('DEVICE_ID_INVALID');
  });

  it('commits a transition with its sink rows or not at all', () => {
    s.workOrders.create(order('WO-1'), { hubs: [{ deviceId: ID(1) }] }, known);
    const before = snapshot(db);
    failSink = true;
    expect(() => s.intake.scan({ deviceId: ID(1), operatorId: 'gi-1' })).toThrow('outbox full');
    expect(snapshot(db)).toBe(before);
  });

  it('finishes attempts into process states, counting failures toward scrap', () => {
    s.workOrders.create(order('WO-1'), { hubs: [{ deviceId: ID(1) }] }, known);
    s.intake.scan({ deviceId: ID(1), operatorId: 'gi-1' });
    const identity = {
      deviceId: ID(1),
      gpfDeviceId: ID(101),
      manufacturer: '1086',
      model: '0101030B',
      hardwareVersion: 2,
      firmwareVersion: parseFirmwareVersion('0002012A'),
      locked: true,
    };
    const begin = () => s.flash.beginAttempt({ identity, benchId: 'B', jigId: 'J', slot: 1, startedAt: new Date(), workOrderId: 'WO-1', operatorId: 'tech-1' });
    for (let n = 1; n <= 3; n++) {
      const id = begin();
      expect(thrown(() => begin()).code).toBe('HUB_TRANSITION_ILLEGAL'); // one attempt at a time, and nothing stored by the refused one
      s.flash.finishAttemptOnWorkOrder(id, { result: 'FAILED', error: { code: 'HUB_TIMEOUT', message: 'x', phase: 'TRANSFERRING' }, timings: {} });
    }
    expect(s.workOrders.liveHub(ID(1))).toMatchObject({
      state: 'SCRAP_PROPOSED',
      outcome: 'SCRAP',
      reasonCode: 'ATTEMPTS_EXHAUSTED',
      attemptCount: 3,
      failedAttempts: 3,
    });
    expect(s.flash.getHub(ID(1))).toMatchObject({ outcome: 'SCRAP', attemptCount: 3 });
    expect(db.prepare('SELECT count(*) AS n FROM attempts').get()).toEqual({ n: 3 });
    expect(thrown(() => s.settlement.confirmScrap(ID(9), 'tech-1')).code).toBe('HUB_NOT_ON_WORK_ORDER');
    expect(s.settlement.confirmScrap(ID(1), 'tech-2')).toMatchObject({ state: 'SCRAPPED', scrapConfirmedBy: 'tech-2' });
    // The only hub is settled: the work order closed itself.
    expect(s.workOrders.get('WO-1')).toMatchObject({ state: 'CLOSED', closedBy: 'tech-2' });
  });

  it('returns hubs only on their own work order to its own party (A-001), all or nothing, and closes when settled', () => {
    s.workOrders.create(order('WO-1', 'P1'), { hubs: [1, 2, 3].map((n) => ({ deviceId: ID(n) })) }, known);
    s.workOrders.create(order('WO-2', 'P2'), { hubs: [{ deviceId: ID(4) }] }, known);
    for (const n of [1, 2, 4]) s.intake.scan({ deviceId: ID(n), operatorId: 'gi' });
    db.prepare("UPDATE work_order_hubs SET state = 'REJECTED', outcome = 'REJECTED', reason_code = 'NOT_SMETS2' WHERE device_id IN (?, ?)").run(ID(1), ID(4));
    const before = snapshot(db);
    expect(thrown(() => s.settlement.markReturned('WO-1', { deviceIds: [ID(1)], operatorId: 'o', secPartyId: 'P2' })).code).toBe('RETURN_PARTY_MISMATCH');
    const other = thrown(() => s.settlement.markReturned('WO-1', { deviceIds: [ID(1), ID(4)], operatorId: 'o' }));
    expect(other).toMatchObject({ code: 'HUB_NOT_ON_THIS_WORK_ORDER', message: expect.stringContaining('1 of 2') });
    expect(thrown(() => s.settlement.markReturned('WO-1', { deviceIds: [ID(1), ID(2)], operatorId: 'o' })).code).toBe('HUB_TRANSITION_ILLEGAL');
    expect(thrown(() => s.settlement.close('WO-1', 'o'))).toMatchObject({
      code: 'WORK_ORDER_NOT_SETTLED',
      details: {
        hubs: [
          { deviceId: ID(1), state: 'REJECTED' },
          { deviceId: ID(2), state: 'ACCEPTED' },
        ],
      },
    });
    expect(thrown(() => s.settlement.cancel('WO-1', 'o')).code).toBe('WORK_ORDER_HAS_RECEIVED_HUBS');
    expect(snapshot(db)).toBe(before);

    expect(s.settlement.markReturned('WO-1', { deviceIds: [ID(1).toLowerCase()], operatorId: 'o', secPartyId: 'P1' }).workOrder.state).toBe('OPEN');
    expect(s.settlement.markReturned('WO-2', { deviceIds: [ID(4)], operatorId: 'o' }).workOrder).toMatchObject({ state: 'CLOSED', counts: { RETURNED: 1 } });
    expect(thrown(() => s.settlement.markReturned('WO-2', { deviceIds: [ID(4)], operatorId: 'o' })).code).toBe('WORK_ORDER_NOT_OPEN');
  });

  it('cancels an order nothing of which arrived, writing its hubs off so they can be ordered again', () => {
    s.workOrders.create(order('WO-1'), { csv: csv(1, 2) }, known);
    expect(s.settlement.cancel('WO-1', 'office-1')).toMatchObject({ state: 'CANCELLED', counts: { NOT_RECEIVED: 2 } });
    expect(s.intake.scan({ deviceId: ID(1), operatorId: 'gi' })).toMatchObject({ decision: 'REJECTED', code: 'WORK_ORDER_CANCELLED' });
    expect(s.workOrders.create(order('WO-3'), { csv: csv(1) }, known).hubCount).toBe(1);
    expect(s.intake.scan({ deviceId: ID(1), operatorId: 'gi' })).toMatchObject({ decision: 'ACCEPTED', workOrderId: 'WO-3' });
    expect(s.workOrders.history(ID(1)).map((h) => [h.workOrderId, h.state])).toEqual([
      ['WO-3', 'ACCEPTED'],
      ['WO-1', 'NOT_RECEIVED'],
    ]);
  });

  it('counts charges per work order and per party from the outcome hubs carry, returned or not', () => {
    s.workOrders.create(order('WO-1', 'P1'), { hubs: [1, 2, 3, 4].map((n) => ({ deviceId: ID(n) })) }, known);
    s.workOrders.create(order('WO-2', 'P1'), { hubs: [{ deviceId: ID(5) }] }, known);
    const set = (n: number, state: string, outcome: string | null) =>
      db
        .prepare("UPDATE work_order_hubs SET state = ?, outcome = ?, firmware_after = 'A', target_version = 'A', returned_by = 'o' WHERE device_id = ?")
        .run(state, outcome, ID(n));
    set(1, 'RETURNED', 'REFLASHED');
    set(2, 'REFLASHED', 'REFLASHED');
    set(3, 'ALREADY_CURRENT', 'ALREADY_CURRENT');
    set(5, 'FAILED', 'FAILED');
    expect(
      charges.byWorkOrder().map((r) => [r.workOrderId, r.hubs, r.reflashed, r.alreadyCurrent, r.rejected, r.scrapped, r.inProcess, r.notReceived]),
    ).toEqual([
      ['WO-1', 4, 2, 1, 0, 0, 0, 1],
      ['WO-2', 1, 0, 0, 0, 0, 1, 0],
    ]);
    expect(charges.byParty()).toEqual([expect.objectContaining({ secPartyId: 'P1', workOrders: 2, hubs: 5, reflashed: 2 })]);
    expect(charges.byParty({ secPartyId: 'P9' })).toEqual([]);
  });

  it('charges a billing period by when each hub reached its disposition', () => {
    s.workOrders.create(order('WO-1', 'P1'), { hubs: [1, 2, 3, 4, 5, 6].map((n) => ({ deviceId: ID(n) })) }, known);
    s.workOrders.create(order('WO-2', 'P2'), { hubs: [{ deviceId: ID(7) }] }, known);
    const set = (n: number, state: string, outcome: string | null, at: { outcome?: string; received?: string; scrap?: string }) =>
      db
        .prepare(
          "UPDATE work_order_hubs SET state = ?, outcome = ?, outcome_at = ?, received_at = ?, scrap_confirmed_at = ?, scrap_confirmed_by = ?, returned_by = ?, firmware_after = 'A', target_version = 'A' WHERE device_id = ?",
        )
        .run(
          state,
          outcome,
          at.outcome ?? null,
          at.received ?? null,
          at.scrap ?? null,
          at.scrap ? 'tech' : null,
          state === 'RETURNED' ? 'office' : null,
          ID(n),
        );
    set(1, 'RETURNED', 'REFLASHED', { outcome: '2026-10-31T23:59:59.999Z' }); // October
    set(2, 'REFLASHED', 'REFLASHED', { outcome: '2026-11-01T00:00:00.000Z' }); // first instant of November
    set(3, 'ALREADY_CURRENT', 'ALREADY_CURRENT', { outcome: '2026-11-15T10:00:00.000Z' });
    set(4, 'REJECTED', 'REJECTED', { received: '2026-11-20T10:00:00.000Z' }); // refused at intake: no attempt, no outcome time
    set(5, 'SCRAPPED', 'SCRAP', { outcome: '2026-10-30T10:00:00.000Z', scrap: '2026-11-02T08:00:00.000Z' }); // confirmed in November
    set(6, 'FAILED', 'FAILED', { outcome: '2026-11-03T10:00:00.000Z' });
    set(7, 'REFLASHED', 'REFLASHED', { outcome: '2026-12-01T00:00:00.000Z' }); // December: WO-2 has nothing in November
    const november = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
    expect(
      charges.byWorkOrder({ period: november }).map((r) => [r.workOrderId, r.hubs, r.reflashed, r.alreadyCurrent, r.rejected, r.scrapped, r.inProcess]),
    ).toEqual([['WO-1', 6, 1, 1, 1, 1, 1]]);
    expect(charges.byParty({ period: { from: november.to, to: null } })).toEqual([expect.objectContaining({ secPartyId: 'P2', reflashed: 1 })]);
    expect(charges.byWorkOrder({ period: { from: null, to: november.from } }).map((r) => [r.workOrderId, r.reflashed, r.scrapped])).toEqual([['WO-1', 1, 0]]);
  });
});
