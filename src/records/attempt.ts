import { Type, type Static } from '@sinclair/typebox';
import { ATTEMPT_RESULTS, type PhaseTimings } from '../domain/outcomes.js';
import { literals, Nullable } from './schema-kit.js';

/** One session on one hub in one slot; the one definition (see hub.ts). */
export const AttemptSchema = Type.Object({
  id: Type.Integer(),
  deviceId: Type.String(),
  benchId: Type.String(),
  jigId: Type.String(),
  slot: Type.Integer(),
  startedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
  result: Nullable(literals(ATTEMPT_RESULTS)),
  firmwareBefore: Type.String(),
  firmwareTarget: Nullable(Type.String()),
  firmwareAfter: Nullable(Type.String()),
  imageSha256: Nullable(Type.String()),
  hubSha256: Nullable(Type.String()),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String(), phase: Nullable(Type.String()) })),
  /** Milliseconds per timed phase (identify, unlock, transfer, verify, activate, readBack). */
  timings: Type.Unsafe<PhaseTimings>(Type.Record(Type.String(), Type.Number())),
  /** Transfer figures (imageBytes, wireBytes, blocksResent, ...), null when nothing was sent. */
  transfer: Nullable(Type.Record(Type.String(), Type.Number())),
  /** Work order the attempt was made under (null only for attempts recorded before work orders existed). */
  workOrderId: Nullable(Type.String()),
  /** Who was at the bench, or who asked for the retry. */
  operatorId: Nullable(Type.String()),
});
export type AttemptRecord = Static<typeof AttemptSchema>;
