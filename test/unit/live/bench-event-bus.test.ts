import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { SlotSessionEnd } from '../../../src/bench/slot-session.js';
import { emptySlot, type SlotView } from '../../../src/bench/slot-view.js';
import { BenchEventBus } from '../../../src/live/bench-event-bus.js';
import type { StampedEvent } from '../../../src/live/event-log.js';
import type { IntakeStore } from '../../../src/store/intake-store.js';

class FakeBench extends EventEmitter<{ slot: [SlotView]; finished: [SlotSessionEnd]; jig: [string, boolean, string | null] }> {
  operatorId = 'op';
  connected = true;
  views = [emptySlot('JIG-1', 1)];
  slots(): SlotView[] {
    return this.views;
  }
  jigs(): Array<{ id: string; connected: boolean }> {
    return [{ id: 'JIG-1', connected: this.connected }];
  }
}

function setup(): { bench: FakeBench; bus: BenchEventBus; events: StampedEvent[]; clock: { ms: number } } {
  const bench = new FakeBench();
  const clock = { ms: 1_000_000 };
  const bus = new BenchEventBus({ bench, outbox: { summary: () => ({ dead: 0 }) as never }, storeDir: '.', progressIntervalMs: 0, now: () => clock.ms });
  const events: StampedEvent[] = [];
  bus.subscribe((e) => events.push(e));
  bus.start();
  return { bench, bus, events, clock };
}

describe('bench event bus', () => {
  it("estimates the transfer time left from the transfer's own rate", () => {
    const { bench, bus, events, clock } = setup();
    const view = { ...emptySlot('JIG-1', 1), present: true, phase: 'TRANSFERRING' as const, progress: 0 };
    bench.emit('slot', view);
    clock.ms += 10_000;
    bench.emit('slot', { ...view, progress: 0.25 }); // a quarter in 10 s: 30 s to go
    const progress = events.filter((e) => e.type === 'progress').at(-1)!.data as { etaSeconds: number | null };
    expect(progress.etaSeconds).toBe(30);
    bench.emit('slot', { ...view, phase: 'VERIFYING', progress: 1 });
    expect((events.at(-1)!.data as { etaSeconds: number | null; led: { colour: string } }).etaSeconds).toBeNull();
    bus.stop();
  });

  it('publishes every intake decision, jig link change and the alarm it raises', () => {
    const { bench, bus, events } = setup();
    const store = {
      scan: () => ({
        decision: 'REJECTED',
        code: 'HUB_NOT_ON_WORK_ORDER',
        message: 'not ours',
        workOrderId: null,
        changesHub: false,
        deviceId: '00-DB-12-00-00-00-00-01',
        hub: null,
      }),
      other: function (this: unknown) {
        return this;
      },
    } as unknown as IntakeStore & { other(): unknown };
    const observed = bus.observeIntake(store);
    observed.scan({ deviceId: '00-db-12-00-00-00-00-01', operatorId: 'op' });
    expect(observed.other()).toBe(store); // other methods still run on the store itself
    expect(events.at(-1)).toMatchObject({ type: 'intake', data: { decision: 'REJECTED', code: 'HUB_NOT_ON_WORK_ORDER', deviceId: '00-DB-12-00-00-00-00-01' } });

    bench.connected = false;
    bench.emit('jig', 'JIG-1', false, 'control port closed');
    expect(events.slice(-2).map((e) => e.type)).toEqual(['jig', 'alarms']);
    expect((events.at(-1)!.data as { items: Array<{ code: string }> }).items.map((a) => a.code)).toEqual(['JIG_OFFLINE']);
    bench.connected = true;
    bench.emit('jig', 'JIG-1', true, null);
    expect(events.at(-1)).toMatchObject({ type: 'alarms', data: { items: [] } });
    bus.stop();
  });

  it('looks at dead letters and disk space once per spell of results, not once per hub', async () => {
    const bench = new FakeBench();
    let looks = 0;
    let dead = 0;
    const outbox = {
      summary: () => {
        looks++;
        return { dead } as never;
      },
    };
    const bus = new BenchEventBus({ bench, outbox, storeDir: '.', resultCheckMs: 200 });
    const events: StampedEvent[] = [];
    bus.subscribe((e) => events.push(e));
    bus.start();
    expect(looks).toBe(1); // at start
    const end: SlotSessionEnd = { jig: 'JIG-1', slot: 1, result: { result: 'REFLASHED' } as SlotSessionEnd['result'], hub: undefined };
    dead = 2;
    for (let i = 0; i < 40; i++) bench.emit('finished', end);
    expect(looks).toBe(1); // the start's look was just now: the spell's results wait for one look together
    expect(events.filter((e) => e.type === 'result')).toHaveLength(40);
    await sleep(400);
    expect(looks).toBe(2);
    expect(events.filter((e) => e.type === 'alarms').at(-1)).toMatchObject({ data: { items: [{ code: 'N3_DEAD_LETTERS' }] } });

    await sleep(250); // a quiet spell: the next result is looked at at once
    dead = 0;
    bench.emit('finished', end);
    expect(looks).toBe(3);
    await sleep(50);
    expect(events.filter((e) => e.type === 'alarms').at(-1)).toMatchObject({ data: { items: [] } });
    bench.emit('finished', end);
    bus.stop(); // a look still due is dropped with the bus
    await sleep(400);
    expect(looks).toBe(3);
  });
});
