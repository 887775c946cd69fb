import { Type } from '@sinclair/typebox';
import { DEFAULT_JIG_RECONNECT, DEFAULT_SLOT_RECONNECT, type BackoffPolicy } from '../domain/backoff.js';

const Ms = (value: number, description: string) => Type.Integer({ minimum: 0, maximum: 3_600_000, default: value, description });

const Backoff = (defaults: Readonly<BackoffPolicy>, what: string) =>
  Type.Object(
    {
      minDelayMs: Ms(defaults.minDelayMs, `delay before the first retry of ${what}`),
      maxDelayMs: Ms(defaults.maxDelayMs, `cap of the growing delay of ${what}`),
      factor: Type.Number({ minimum: 1, maximum: 10, default: defaults.factor, description: 'growth per consecutive failure' }),
    },
    { additionalProperties: false, default: {} },
  );

/** How jigs reconnect, as data (src/domain/backoff.ts); the defaults are the domain's. */
export const JigReconnectSchema = Type.Object(
  {
    control: Backoff(DEFAULT_JIG_RECONNECT, 'a jig whose control port or slot links could not be opened'),
    slot: Backoff(DEFAULT_SLOT_RECONNECT, 'one slot link that closed while its jig stays up'),
  },
  { additionalProperties: false, default: {} },
);

/** Rules across keys the schema cannot state, as config problems with their paths. */
export function jigReconnectProblems(reconnect: { control: BackoffPolicy; slot: BackoffPolicy }): string[] {
  return (['control', 'slot'] as const)
    .filter((k) => reconnect[k].minDelayMs > reconnect[k].maxDelayMs)
    .map((k) => `/jigReconnect/${k}: minDelayMs is greater than maxDelayMs`);
}
