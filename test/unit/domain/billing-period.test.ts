import { describe, expect, it } from 'vitest';
import { parsePeriod } from '../../../src/domain/billing-period.js';
import { FlashdError } from '../../../src/domain/errors.js';
import { thrownBy } from '../../helpers/thrown-by.js';

describe('a billing period', () => {
  it('reads dates as midnight UTC and date-times with their offset, in the store ISO form', () => {
    expect(parsePeriod({ from: '2026-11-01', to: '2026-12-01' })).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    expect(parsePeriod({ from: '2026-11-01T09:30+01:00' })).toEqual({ from: '2026-11-01T08:30:00.000Z', to: null });
    expect(parsePeriod({ to: '2026-11-30T23:59:59.5Z' })).toEqual({ from: null, to: '2026-11-30T23:59:59.500Z' });
    expect(parsePeriod({})).toEqual({ from: null, to: null });
  });

  it.each([
    ['from', '2026-02-30', 'no 30 February'],
    ['from', '2026-02-30T00:00:00Z', 'no 30 February in a date-time either'],
    ['to', '01/11/2026', 'not ISO'],
    ['to', '2026-11-01T09:30', 'a time without its offset is ambiguous'],
    ['from', '2026-13-01', 'month 13'],
    ['from', '', 'empty'],
  ])('refuses %s=%j (%s), naming the end', (end, text) => {
    const err = thrownBy(() => parsePeriod({ [end]: text }));
    expect(err).toBeInstanceOf(FlashdError);
    expect(err).toMatchObject({ code: 'PERIOD_INVALID', details: { [end]: text } });
    expect((err as Error).message).toContain(`${end} "${text}"`);
  });

  it('refuses an empty period', () => {
    expect(() => parsePeriod({ from: '2026-12-01', to: '2026-12-01' })).toThrow(/period is empty/);
    expect(() => parsePeriod({ from: '2026-12-02', to: '2026-12-01' })).toThrow(expect.objectContaining({ code: 'PERIOD_INVALID' }));
  });
});
