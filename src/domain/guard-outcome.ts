import type { AttemptResult, Phase } from './outcomes.js';

/**
 * One finished session as the quality guards see it (docs/quality-guards.md). `admitted` says the
 * guards let the session flash its hub (an image went, or was about to go, on the wire); only those
 * count for the canary and the model guard. Every session counts for its slot.
 */
export interface GuardOutcome {
  jig: string;
  slot: number;
  deviceId: string | null;
  model: string | null;
  /** The image version the session flashed; null when it flashed nothing. */
  version: string | null;
  admitted: boolean;
  result: AttemptResult;
  errorCode: string | null;
  /** Phase the error happened in. */
  phase: Phase | null;
  /** ISO time the session ended (the guards keep no clock of their own). */
  at: string;
}

/**
 * - `pass`: the hub took the image (or needed none) and the line carried it;
 * - `link-fault`: the line or the slot failed (noise, no answer while bytes moved): the slot's fault
 *   until a hub shows otherwise;
 * - `hub-fault`: the hub failed in a way an image or the hub itself explains (hash, read-back,
 *   hub error, no answer once it holds the image);
 * - `ignored`: says nothing about image or slot (interrupted, removed, supply trip, store, a hub
 *   refusing its unlock or failing before any byte of an image).
 */
export type OutcomeClass = 'pass' | 'link-fault' | 'hub-fault' | 'ignored';

const LINK_CODES: ReadonlySet<string> = new Set([
  'LINE_SUSPECT',
  'TRANSFER_FAILED',
  'LINK_CLOSED',
  'FRAME_CRC',
  'FRAME_TOO_LONG',
  'FRAME_MALFORMED',
  'HUB_PROTOCOL',
]);
const NOT_COUNTED: ReadonlySet<string> = new Set([
  'SESSION_INTERRUPTED',
  'INTERNAL',
  'HUB_REMOVED',
  'SLOT_POWER_FAULT',
  'STORE_WRITE_FAILED',
  'UNLOCK_KEY_MISSING',
  'DEVICE_ID_CHANGED',
  'MODEL_HALTED',
  'WAITING_CANARY',
  'SLOT_SUSPECT',
]);
const BEFORE_IMAGE: ReadonlySet<Phase> = new Set(['IDENTIFYING', 'CHECKING', 'UNLOCKING']);
/** Once the hub holds the image, silence is the hub's (it hashes, boots, runs the new image). */
const HUB_PHASES: ReadonlySet<Phase> = new Set(['VERIFYING', 'ACTIVATING', 'READING_BACK']);

/** Pure: which guard, if any, a finished session speaks to. */
export function classifyOutcome(o: Pick<GuardOutcome, 'result' | 'errorCode' | 'phase'>): OutcomeClass {
  switch (o.result) {
    case 'REFLASHED':
    case 'ALREADY_CURRENT':
      return 'pass';
    case 'INTERRUPTED':
    case 'REJECTED':
      return 'ignored';
    case 'FAILED':
    case 'SCRAP': {
      const code = o.errorCode ?? 'INTERNAL';
      if (NOT_COUNTED.has(code)) return 'ignored';
      if (LINK_CODES.has(code)) return 'link-fault';
      if (code === 'HUB_TIMEOUT') return o.phase !== null && HUB_PHASES.has(o.phase) ? 'hub-fault' : 'link-fault';
      // Refused before any byte of the image (a wrong key, a locked hub): the hub's own, no image's or slot's.
      if (code.startsWith('UNLOCK_') || (o.phase !== null && BEFORE_IMAGE.has(o.phase))) return 'ignored';
      return 'hub-fault';
    }
  }
}
