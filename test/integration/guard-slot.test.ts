import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, generateStock, type VirtualHub } from '../../jig-sim/index.js';
import type { SlotSessionEnd } from '../../src/bench/slot-session.js';
import { BenchHarness } from '../helpers/bench-harness.js';

/**
 * Issue 13, slot guard: slot 3's contact is so bad nothing gets through. A technician moves each
 * hub that fails there to another slot, where it re-flashes. After the guard's default five faults
 * in the slot's window the slot is SLOT_SUSPECT: out of service, its LED blinking amber, the
 * dashboard naming it; the other seven slots keep flashing. A self-test brings it back once the line
 * is repaired.
 */
describe('slot guard on a noisy slot', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('flags the slot while the other 7 keep flashing and its hubs succeed elsewhere', async () => {
    const stock = generateStock({ seed: 'slot-guard', count: 14 });
    harness = new BenchHarness({
      stock: stock.slice(0, 8),
      reserve: stock.slice(8),
      workOrder: true,
      profile: INSTANT_HUB_PROFILE,
      transport: 'in-process',
      config: {
        guards: { enabled: true, canary: { hubs: 0 } },
        sessions: { timeouts: { bootWaitMs: 300, probeTimeoutMs: 50, requestTimeoutMs: 200, requestRetries: 1 } },
      },
    });
    const jig = harness.simulator.jig(1);
    const line = jig.slot(3).line;
    // A worn contact: heavy bit errors out, and most of what the hub says is lost on the way back.
    line.toDeviceFaults.set({ bitErrorRate: 0.02 });
    line.toHostFaults.set({ bitErrorRate: 0.02, dropRate: 0.5 });
    const reserve = harness.simulator;
    const moved: VirtualHub[] = [];
    const failedInSlot3: string[] = [];
    const elsewhere = new Map<string, SlotSessionEnd>();
    let suspect = false;
    // The technician: a hub failed in slot 3 goes into a slot whose hub is done; slot 3 gets a new one until it is flagged.
    const place = (): void => {
      for (const view of harness!.bench.slots()) {
        if (moved.length === 0) return;
        if (view.slot === 3 || view.result !== 'REFLASHED') continue;
        jig.remove(view.slot);
        jig.insert(view.slot, moved.shift()!);
      }
    };
    const technician = (end: SlotSessionEnd): void => {
      if (end.slot === 3 && end.result.result === 'FAILED') {
        const hub = jig.remove(3)!;
        failedInSlot3.push(hub.deviceId);
        moved.push(hub);
        const next = reserve.takeFromStock();
        if (next) jig.insert(3, next);
      }
      if (end.result.result === 'REFLASHED' && failedInSlot3.includes(end.result.identity!.deviceId)) elsewhere.set(end.result.identity!.deviceId, end);
      place();
    };
    await harness.start();
    harness.bench.on('finished', technician);
    harness.daemon.guards.on('action', (a) => void (a.kind === 'SLOT_SUSPECT' && (suspect = true)));

    const deadline = Date.now() + 60_000;
    while ((!suspect || elsewhere.size < failedInSlot3.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await harness.bench.idle();

    const guards = harness.daemon.guards.view();
    expect(guards.slots.filter((s) => s.status === 'SUSPECT').map((s) => `${s.jig}/${s.slot}`)).toEqual(['JIG-1/3']);
    expect(failedInSlot3.length).toBe(5);
    // Every hub that failed in slot 3 re-flashed in another slot: the slot, not the hubs, was at fault.
    expect([...elsewhere.keys()].sort()).toEqual([...failedInSlot3].sort());
    for (const end of elsewhere.values()) expect(end.slot).not.toBe(3);
    // The other 7 slots kept flashing: the 7 hubs that started there and the 5 moved to them.
    const reflashed = harness.results.filter((r) => r.result.result === 'REFLASHED');
    expect(reflashed.length).toBe(12);
    expect(new Set(reflashed.map((r) => r.slot)).size).toBe(7);

    // Slot 3 holds a new hub and starts nothing: the slot says why and its LED blinks amber.
    const held = jig.slot(3).hub!;
    expect(harness.store.getHub(held.deviceId)).toBeUndefined();
    expect(harness.bench.slots()[2]).toMatchObject({ present: true, error: { code: 'SLOT_SUSPECT' } });
    expect(jig.slot(3).led).toBe('AMBER');
    expect(harness.daemon.events.snapshot().alarms).toContainEqual(expect.objectContaining({ code: 'SLOT_SUSPECT', message: 'Stop using slot JIG-1/3' }));

    // The line is repaired; a supervisor asks for a self-test, which the hub in the slot passes.
    line.toDeviceFaults.set({});
    line.toHostFaults.set({});
    const signedIn = await harness.daemon.app.inject({ method: 'POST', url: '/api/v1/session', payload: { operatorId: 'sup.jones' } });
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
    const reply = await harness.daemon.app.inject({
      method: 'POST',
      url: '/api/v1/guards/slots/JIG-1/3/self-test',
      headers: { cookie },
      payload: { note: 'pogo pins replaced' },
    });
    expect(reply.statusCode).toBe(200);
    const until = Date.now() + 30_000;
    while (harness.daemon.guards.slotStatus('JIG-1', 3) !== 'IN_SERVICE' && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(harness.daemon.guards.slotStatus('JIG-1', 3)).toBe('IN_SERVICE');
    expect(harness.store.getHub(held.deviceId)?.outcome).toBe('REFLASHED');
    expect(harness.daemon.guards.view().actions.map((a) => [a.kind, a.by])).toEqual([
      ['SLOT_RELEASED', 'flashd'],
      ['SLOT_SELF_TEST', 'sup.jones'],
      ['SLOT_SUSPECT', 'flashd'],
    ]);
  }, 120_000);
});
