import { FlashdError } from './errors.js';

/** A reporting period in UTC: `from` inclusive, `to` exclusive; null is open on that side. */
export interface BillingPeriod {
  from: string | null;
  to: string | null;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads a period as a back-office user types it: a date (`2026-11-01`, midnight UTC) or a date and
 * time with its offset. Returns both ends as the store's ISO form, so they compare with its times.
 * Throws PERIOD_INVALID naming the bad end, or when `from` is not before `to`.
 */
export function parsePeriod(input: { from?: string | undefined; to?: string | undefined }): BillingPeriod {
  const from = input.from === undefined ? null : instant('from', input.from);
  const to = input.to === undefined ? null : instant('to', input.to);
  if (from !== null && to !== null && from >= to) {
    throw new FlashdError('PERIOD_INVALID', `the period is empty: from ${from} is not before to ${to}`, { details: { from, to } });
  }
  return { from, to };
}

function instant(end: 'from' | 'to', text: string): string {
  const ms = DATE.test(text) ? Date.parse(`${text}T00:00:00.000Z`) : DATE_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms) || !isCalendarDate(text.slice(0, 10))) {
    throw new FlashdError('PERIOD_INVALID', `${end} "${text}" is not a date (2026-11-01) or a date and time with its offset (2026-11-01T00:00:00Z)`, {
      details: { [end]: text },
    });
  }
  return new Date(ms).toISOString();
}

/** Date.parse rolls 2026-02-30 over to 2 March; a calendar date must read back as itself. */
function isCalendarDate(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).toISOString().startsWith(ymd);
}
