import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';
import { HUB_STATES } from '../domain/hub-state.js';
import { ATTEMPT_RESULTS, OUTCOMES, PHASES } from '../domain/outcomes.js';

export const literals = <T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> => Type.Union(values.map((v) => Type.Literal(v)));
export const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())), requestId: Type.Optional(Type.String()) }),
});

export const SlotSchema = Type.Object({
  jig: Type.String(),
  slot: Type.Integer(),
  present: Type.Boolean(),
  phase: literals(PHASES),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  deviceId: Type.Union([Type.String(), Type.Null()]),
  model: Nullable(Type.String()),
  firmwareVersion: Nullable(Type.String()),
  targetVersion: Nullable(Type.String()),
  result: Type.Union([literals(ATTEMPT_RESULTS), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  workOrderId: Nullable(Type.String()),
  hubState: Type.Union([literals(HUB_STATES), Type.Null()]),
  lineSuspect: Type.Boolean(),
  updatedAt: Type.String(),
});

export const HubSchema = Type.Object({
  deviceId: Type.String(),
  gpfDeviceId: Type.String(),
  manufacturer: Type.String(),
  model: Type.String(),
  hardwareVersion: Type.Integer(),
  state: literals(['FLASHING', 'FINISHED'] as const),
  outcome: Type.Union([literals(OUTCOMES), Type.Null()]),
  previousFirmwareVersion: Type.String(),
  firmwareVersion: Type.String(),
  attemptCount: Type.Integer(),
  lastErrorCode: Nullable(Type.String()),
  firstSeenAt: Type.String(),
  updatedAt: Type.String(),
});

export const AttemptSchema = Type.Object({
  id: Type.Integer(),
  deviceId: Type.String(),
  benchId: Type.String(),
  jigId: Type.String(),
  slot: Type.Integer(),
  startedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
  result: Type.Union([literals(ATTEMPT_RESULTS), Type.Null()]),
  firmwareBefore: Type.String(),
  firmwareTarget: Nullable(Type.String()),
  firmwareAfter: Nullable(Type.String()),
  imageSha256: Nullable(Type.String()),
  hubSha256: Nullable(Type.String()),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String(), phase: Nullable(Type.String()) }), Type.Null()]),
  timings: Type.Record(Type.String(), Type.Number()),
  transfer: Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()]),
  workOrderId: Nullable(Type.String()),
  operatorId: Nullable(Type.String()),
});

export const HubDetailSchema = Type.Intersect([HubSchema, Type.Object({ attempts: Type.Array(AttemptSchema) })]);

export const HubListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    after: Type.Optional(Type.String({ pattern: '^[0-9A-F]{2}(-[0-9A-F]{2}){7}$' })),
    outcome: Type.Optional(literals(OUTCOMES)),
  },
  { additionalProperties: false },
);
