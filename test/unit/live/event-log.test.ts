import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLog } from '../../../src/live/event-log.js';
import { ProgressCoalescer } from '../../../src/live/progress-coalescer.js';

describe('event log', () => {
  it('numbers events in order and replays what follows a known id', () => {
    const log = new EventLog({ bootId: 'b1', capacity: 10 });
    const ids = ['a', 'b', 'c', 'd'].map((type) => log.publish(type, {}).id);
    expect(ids).toEqual(['b1.1', 'b1.2', 'b1.3', 'b1.4']);
    expect(log.since('b1.2')?.map((e) => e.type)).toEqual(['c', 'd']);
    expect(log.since('b1.4')).toEqual([]);
    expect(log.since('b1.0')?.map((e) => e.type)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('asks for a snapshot when the id is from another run, in the future, malformed, or no longer kept', () => {
    const log = new EventLog({ bootId: 'b2', capacity: 3 });
    for (let i = 0; i < 5; i++) log.publish('slot', { i });
    expect(log.since('b1.4')).toBeUndefined();
    expect(log.since('b2.9')).toBeUndefined();
    expect(log.since('nonsense')).toBeUndefined();
    expect(log.since('b2.1')).toBeUndefined(); // events 2 and 3 are gone: the client would miss them
    expect(log.since('b2.2')?.map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('keeps each event as the JSON it had when published, the one live clients got, not its objects', () => {
    const log = new EventLog({ bootId: 'b3', capacity: 4 });
    const live: string[] = [];
    log.on('event', (e) => live.push(e.json));
    const tile = { slot: 1, phase: 'TRANSFERRING', progress: 0.5 };
    const published = log.publish('slot', tile);
    expect(published.data).toBe(tile);
    tile.progress = 0.9; // the bench's next view of the slot: a replay must not show it under the old id
    const [kept] = log.since('b3.0')!;
    expect(kept).toEqual({ id: 'b3.1', seq: 1, type: 'slot', json: '{"slot":1,"phase":"TRANSFERRING","progress":0.5}' });
    expect(kept).not.toHaveProperty('data');
    expect(live).toEqual([kept!.json]);
  });

  it('refuses a capacity that cannot hold an event', () => {
    expect(() => new EventLog({ capacity: 0 })).toThrow(RangeError);
  });
});

describe('progress coalescer', () => {
  afterEach(() => void vi.useRealTimers());

  it('sends at most one value per key per interval, and always the newest one last', () => {
    vi.useFakeTimers();
    const sent: Array<[string, number]> = [];
    const c = new ProgressCoalescer<number>({ intervalMs: 250, now: () => Date.now(), send: (k, v) => sent.push([k, v]) });
    for (let i = 1; i <= 100; i++) {
      c.offer('J/1', i / 100);
      c.offer('J/2', i / 100);
      vi.advanceTimersByTime(10); // 100 offers per slot over one second
    }
    vi.advanceTimersByTime(1000);
    for (const key of ['J/1', 'J/2']) {
      const mine = sent.filter(([k]) => k === key).map(([, v]) => v);
      expect(mine.length).toBeGreaterThanOrEqual(4);
      expect(mine.length).toBeLessThanOrEqual(5);
      expect(mine.at(-1)).toBe(1);
      expect([...mine].sort((a, b) => a - b)).toEqual(mine); // in order
    }
  });

  it('drops a waiting value once a full event has carried a newer one', () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const c = new ProgressCoalescer<number>({ intervalMs: 250, now: () => Date.now(), send: (_k, v) => sent.push(v) });
    c.offer('J/1', 0.1);
    c.offer('J/1', 0.2);
    c.discard('J/1');
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([0.1]);
  });
});
