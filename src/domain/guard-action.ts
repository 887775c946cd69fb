/** Every change of a guard's state, as recorded (table `guard_actions`) and replayed at start. */
export const GUARD_ACTION_KINDS = [
  'CANARY_PASSED',
  'CANARY_FAILED',
  'CANARY_RELEASED',
  'MODEL_HALTED',
  'MODEL_RESUMED',
  'SLOT_SUSPECT',
  'SLOT_SELF_TEST',
  'SLOT_RELEASED',
] as const;
export type GuardActionKind = (typeof GUARD_ACTION_KINDS)[number];

/** Who did it: `flashd` for the guards' own decisions, else the supervisor's operator id. */
export const GUARD_SELF = 'flashd';

/**
 * One halt, pass or release. Canary and model actions name `model` and `version`; slot actions
 * name `jig` and `slot`. `reason` says why in words (the guard's figures, or the supervisor's note).
 */
export interface GuardAction {
  kind: GuardActionKind;
  model?: string | undefined;
  version?: string | undefined;
  jig?: string | undefined;
  slot?: number | undefined;
  by: string;
  reason: string;
  at: string;
}

export function modelKey(model: string, version: string): string {
  return `${model}/${version}`;
}

export function slotKey(jig: string, slot: number): string {
  return `${jig}/${slot}`;
}
