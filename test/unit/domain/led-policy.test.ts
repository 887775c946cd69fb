import { describe, expect, it } from 'vitest';
import { slotLed, type LedFacts, type SlotLed } from '../../../src/domain/led-policy.js';

const base: LedFacts = { present: true, phase: 'DONE', result: null, hubState: null, error: null };
const led = (colour: SlotLed['colour'], blink = false): SlotLed => ({ colour, blink });

describe('slot LED policy', () => {
  it.each<[string, Partial<LedFacts>, SlotLed]>([
    ['empty slot', { present: false, phase: 'EMPTY' }, led('OFF')],
    ['hub pulled with a result still on the view', { present: false, result: 'REFLASHED' }, led('OFF')],
    ['hub seated, nothing run yet', { phase: 'EMPTY' }, led('OFF')],
    ['identifying', { phase: 'IDENTIFYING' }, led('BLUE', true)],
    ['transferring, an older result on the view', { phase: 'TRANSFERRING', result: 'FAILED' }, led('BLUE', true)],
    ['reading back', { phase: 'READING_BACK' }, led('BLUE', true)],
    ['re-flashed', { result: 'REFLASHED', hubState: 'REFLASHED' }, led('GREEN')],
    ['already current', { result: 'ALREADY_CURRENT' }, led('GREEN')],
    ['rejected', { result: 'REJECTED', error: { code: 'HUB_NOT_RECEIVED' } }, led('AMBER')],
    ['failed, attempts left', { result: 'FAILED', hubState: 'FAILED', error: { code: 'VERIFY_MISMATCH' } }, led('RED')],
    ['failed, scrap proposed (R-001)', { result: 'FAILED', hubState: 'SCRAP_PROPOSED' }, led('RED', true)],
    ['scrap', { result: 'SCRAP', hubState: 'SCRAP_PROPOSED' }, led('RED', true)],
    ['result not stored', { result: 'FAILED', error: { code: 'STORE_WRITE_FAILED' } }, led('RED', true)],
    ['interrupted', { result: 'INTERRUPTED', error: { code: 'SESSION_INTERRUPTED' } }, led('RED')],
  ])('%s', (_, facts, expected) => {
    expect(slotLed({ ...base, ...facts })).toEqual(expected);
  });
});
