import { Type, type Static } from '@sinclair/typebox';
import type { ErrorRecord } from '../domain/errors.js';
import { HUB_STATES } from '../domain/hub-state.js';
import { ATTEMPT_RESULTS, PHASES } from '../domain/outcomes.js';
import { literals, Nullable } from './schema-kit.js';

/** What the status API and the dashboard show for one slot; the one definition (see hub.ts). */
export const SlotSchema = Type.Object({
  jig: Type.String(),
  slot: Type.Integer(),
  /** A hub sits in the slot (as the jig reports it). */
  present: Type.Boolean(),
  phase: literals(PHASES),
  /** 0..1 within the transfer; 1 when done. */
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  deviceId: Nullable(Type.String()),
  /** The hub's Device Model, once identified. */
  model: Nullable(Type.String()),
  /** The version the hub runs: as identified, then as read back after a re-flash. */
  firmwareVersion: Nullable(Type.String()),
  /** The version this session flashes, once decided; null when the hub is not flashed. */
  targetVersion: Nullable(Type.String()),
  /** Result of the last session in this slot, until the hub is taken out. */
  result: Nullable(literals(ATTEMPT_RESULTS)),
  /** Why the last session refused or failed; a refused hub shows the binding reason (e.g. HUB_NOT_RECEIVED). */
  error: Type.Unsafe<ErrorRecord | null>(Nullable(Type.Object({ code: Type.String(), message: Type.String() }))),
  /** Work order the hub in the slot was bound to, once identified and accepted. */
  workOrderId: Nullable(Type.String()),
  /** The hub's state on its work order after the last attempt (e.g. SCRAP_PROPOSED). */
  hubState: Nullable(literals(HUB_STATES)),
  /**
   * The last session in this slot found its line so noisy that it had to cut the block size (or
   * ended LINE_SUSPECT): a worn contact is likely; the technician should stop using the slot.
   */
  lineSuspect: Type.Boolean(),
  updatedAt: Type.String(),
});
export type SlotView = Static<typeof SlotSchema>;
