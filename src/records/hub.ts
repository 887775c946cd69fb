import { Type, type Static } from '@sinclair/typebox';
import type { ErrorCode } from '../domain/errors.js';
import { OUTCOMES } from '../domain/outcomes.js';
import { AttemptSchema } from './attempt.js';
import { literals, Nullable } from './schema-kit.js';

/** While a session works on the hub, and after. */
export const HUB_RECORD_STATES = ['FLASHING', 'FINISHED'] as const;

/**
 * A hub as the status API, flashctl and the N3 report see it. The one definition: the API's
 * response schema, the TypeScript type and the docs check (test/unit/records/api-docs.test.ts)
 * all come from here; the store maps its row to it (store/flash-rows.ts).
 */
export const HubSchema = Type.Object({
  deviceId: Type.String(),
  gpfDeviceId: Type.String(),
  manufacturer: Type.String(),
  model: Type.String(),
  hardwareVersion: Type.Integer(),
  state: literals(HUB_RECORD_STATES),
  outcome: Nullable(literals(OUTCOMES)),
  /** Version the hub ran when flashd first saw it. */
  previousFirmwareVersion: Type.String(),
  /** Version last read from the hub (after reboot when it was flashed). */
  firmwareVersion: Type.String(),
  attemptCount: Type.Integer(),
  lastErrorCode: Type.Unsafe<ErrorCode | null>(Nullable(Type.String())),
  firstSeenAt: Type.String(),
  updatedAt: Type.String(),
});
export type HubRecord = Static<typeof HubSchema>;

/** A hub with its attempts, oldest first (GET /api/v1/hubs/:deviceId). */
export const HubDetailSchema = Type.Intersect([HubSchema, Type.Object({ attempts: Type.Array(AttemptSchema) })]);
export type HubDetail = Static<typeof HubDetailSchema>;
