import { describe, expect, it } from 'vitest';
import { simulate } from '../../helpers/guard-simulation.js';

describe('quality guards at their defaults over scattered failures', () => {
  it('halt nothing in 20,000 sessions with 2 % hub and 1 % line failures spread at random (docs/quality-guards.md)', () => {
    const seeds = [1, 2, 3, 4, 5];
    const halts = seeds.flatMap((seed) => simulate(4000, { hub: 0.02, link: 0.01 }, seed));
    expect(halts).toEqual([]);
  });

  it('still catch a slot whose line fails every second session, and a model whose image fails every third hub', () => {
    const slot = simulate(4000, { hub: 0.02, link: 0.01, badSlots: new Map([['J1/4', 0.5]]) }, 7);
    expect(slot.map((a) => [a.kind, `${a.jig}/${a.slot}`])).toEqual([['SLOT_SUSPECT', 'J1/4']]);
    const model = simulate(4000, { hub: 0.02, link: 0.01, badModels: new Map([['0000BEEF', 0.33]]) }, 7);
    expect(model.map((a) => [a.kind, a.model])).toContainEqual(['MODEL_HALTED', '0000BEEF']);
    expect(model.filter((a) => a.kind === 'MODEL_HALTED' && a.model !== '0000BEEF')).toEqual([]);
  });
});
