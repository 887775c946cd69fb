import { describe, expect, it } from 'vitest';
import { emptySlot, type SlotView } from '../../../src/bench/slot-view.js';
import { tileWords } from '../../../src/dashboard/client/words.js';
import type { SlotTile } from '../../../src/dashboard/client/types.js';
import { alarmsFrom } from '../../../src/live/alarms.js';
import { slotLed } from '../../../src/live/slot-tile.js';

const healthy = { jigs: [{ id: 'J', connected: true }], slots: [emptySlot('J', 1)], deadLetters: 0, disk: null };
const view = (over: Partial<SlotView>): SlotView => ({ ...emptySlot('J', 3), present: true, phase: 'DONE', ...over });
const tile = (v: SlotView): SlotTile => ({ ...v, led: slotLed(v), etaSeconds: null });

describe('quality guard alarms, LEDs and words', () => {
  it('names a halted model (its guard or a failed canary) and the slot to stop using', () => {
    const guards = {
      enabled: true,
      canaries: [{ model: 'AAAA0001', version: '00020000', status: 'FAILED' as const, passed: 0, running: 0, hubs: 8, reason: 'x' }],
      models: [{ model: 'BBBB0002', version: '00030000', halted: true, reason: 'y', sessions: 20, failures: 5 }],
      slots: [
        { jig: 'J', slot: 3, status: 'SUSPECT' as const, reason: 'z', sessions: 8, faults: 5 },
        { jig: 'J', slot: 4, status: 'IN_SERVICE' as const, reason: null, sessions: 8, faults: 1 },
      ],
    };
    expect(alarmsFrom({ ...healthy, guards: { ...guards, canaries: [], models: [], slots: [] } })).toEqual([]);
    expect(alarmsFrom({ ...healthy, guards }).map((a) => [a.code, a.message, a.help])).toEqual([
      ['MODEL_HALTED', 'Model halted: BBBB0002 image 00030000, AAAA0001 image 00020000 (supervisor resumes)', 'help-model-halted'],
      ['SLOT_SUSPECT', 'Stop using slot J/3', 'help-slot-suspect'],
    ]);
  });

  it('a suspect slot blinks amber with or without a hub; a held hub waits in steady blue, in words', () => {
    const suspect = { code: 'SLOT_SUSPECT' as const, message: 'stop' };
    expect(slotLed(view({ error: suspect, result: 'FAILED' }))).toEqual({ colour: 'AMBER', blink: true });
    expect(slotLed({ ...emptySlot('J', 3), error: suspect })).toEqual({ colour: 'AMBER', blink: true });
    const waiting = view({ result: 'REJECTED', error: { code: 'WAITING_CANARY', message: 'wait' } });
    expect(slotLed(waiting)).toEqual({ colour: 'BLUE', blink: false });
    expect(tileWords(tile(waiting), true)).toMatchObject({ word: 'Waiting for canary', action: null });
    expect(tileWords(tile(view({ result: 'REJECTED', error: { code: 'MODEL_HALTED', message: 'h' } })), true)).toMatchObject({ word: 'Model halted' });
    expect(tileWords(tile({ ...emptySlot('J', 3), error: suspect }), true)).toMatchObject({ word: 'Slot out of service' });
    // Anything else is unchanged: a plain rejection is still "Set aside".
    expect(tileWords(tile(view({ result: 'REJECTED', error: { code: 'MODEL_UNKNOWN', message: 'm' } })), true)).toMatchObject({ word: 'Set aside' });
  });

  it('a hub that got through a noisy line is done, and the tile says to check the slot', () => {
    expect(tileWords(tile(view({ result: 'REFLASHED', firmwareVersion: '00020000', lineSuspect: true })), true)).toMatchObject({
      word: 'Done',
      detail: 'v00020000 · unload, pack · noisy line: check this slot',
    });
    expect(tileWords(tile(view({ result: 'REFLASHED', firmwareVersion: '00020000' })), true).detail).toBe('v00020000 · unload, pack');
  });
});
