import type { SlotTile } from './types.js';

/** What a tile says: the kind (its colour and icon), the big word, and the smaller line under it. */
export type TileKind = 'empty' | 'working' | 'waiting' | 'done' | 'current' | 'rejected' | 'failed' | 'scrap' | 'scrapped' | 'offline';

export interface TileWords {
  kind: TileKind;
  word: string;
  icon: string;
  detail: string;
  /** The technician's next step, grouped in the banner ("Unload 1, 3"). */
  action: 'unload' | 'reseat' | 'retry' | 'set-aside' | 'confirm-scrap' | null;
}

const PHASE_WORDS: Record<string, string> = {
  IDENTIFYING: 'Identifying',
  CHECKING: 'Checking',
  UNLOCKING: 'Unlocking',
  TRANSFERRING: 'Flashing',
  VERIFYING: 'Verifying',
  ACTIVATING: 'Activating',
  READING_BACK: 'Reading back',
};

/** Link and contact trouble: taking the hub out and seating it again is the fix. */
const RESEAT = new Set([
  'HUB_TIMEOUT',
  'HUB_PROTOCOL',
  'LINK_CLOSED',
  'LINK_OPEN_FAILED',
  'FRAME_CRC',
  'FRAME_TOO_LONG',
  'FRAME_MALFORMED',
  'HUB_REMOVED',
  'SLOT_POWER_FAULT',
  'SESSION_INTERRUPTED',
  'DEVICE_ID_CHANGED',
]);

const NEXT_STEP: Record<string, string> = {
  HUB_NOT_ON_WORK_ORDER: 'Not on an open work order: set aside',
  HUB_NOT_ON_THIS_WORK_ORDER: 'On another work order: keep it apart',
  HUB_NOT_RECEIVED: 'Not scanned at intake: scan it, then press the slot button',
  HUB_ALREADY_DONE: 'Already done: put it with the returns',
  HUB_NOT_FLASHABLE: 'Not to be flashed: set aside',
  ATTEMPTS_EXHAUSTED: 'Out of attempts: confirm scrap',
  MODEL_UNKNOWN: 'Model not supported: set aside',
  HARDWARE_OUT_OF_RANGE: 'Hardware not supported: set aside',
  DOWNGRADE_REFUSED: 'Runs newer firmware: set aside',
  NOT_SMETS2: 'Not a SMETS2 hub: set aside',
  UNLOCK_KEY_MISSING: 'No unlock key for this maker: call the supervisor',
  LINE_SUSPECT: 'Slot line too noisy: move the hub to another slot, stop using this one',
  UNLOCK_LOCKED_OUT: 'Hub locked out: confirm scrap',
  UNLOCK_REFUSED: 'Unlock refused: retry once, then scrap',
  VERIFY_MISMATCH: 'Image check failed: retry',
  READBACK_MISMATCH: 'Wrong version after reboot: retry',
  TRANSFER_FAILED: 'Transfer failed: re-seat the hub',
  HUB_ERROR: 'Hub reported an error: retry',
  STORE_WRITE_FAILED: 'Result not stored: keep the hub here, call the supervisor',
  STORE_FULL: 'Store full: leave the hub here, call the supervisor to free space',
  WAITING_CANARY: "The model's new image is being tried on a few hubs first: leave this hub in the slot, it starts by itself",
  MODEL_HALTED: 'Model halted by the quality guard: leave the hub, call the supervisor',
  SLOT_SUSPECT: 'Stop using this slot: move the hub to another slot, call the supervisor',
};

/** The plain-English next step for an error code. */
export function nextStep(code: string): string {
  return NEXT_STEP[code] ?? (RESEAT.has(code) ? 'Re-seat the hub' : 'Retry, then call the supervisor');
}

export function tileWords(tile: SlotTile, jigConnected: boolean): TileWords {
  if (!jigConnected) return { kind: 'offline', word: 'Jig offline', icon: '✖', detail: 'Check the cable and power', action: null };
  const guard = guardWords(tile);
  if (guard) return guard;
  if (!tile.present) return { kind: 'empty', word: 'Empty', icon: '○', detail: 'Ready: seat a hub', action: null };
  const phase = PHASE_WORDS[tile.phase];
  if (phase) return { kind: 'working', word: phase, icon: '⟳', detail: tile.targetVersion ? `to v${tile.targetVersion}` : 'working', action: null };
  const code = tile.error?.code ?? '';
  if (tile.result !== null && tile.hubState === 'SCRAP_PROPOSED')
    return { kind: 'scrap', word: 'Scrap?', icon: '?', detail: `${code || 'SCRAP'}: confirm scrap`, action: 'confirm-scrap' };
  if (tile.result !== null && tile.hubState === 'SCRAPPED')
    return { kind: 'scrapped', word: 'Scrapped', icon: '✖', detail: 'Put in the scrap bin', action: 'set-aside' };
  switch (tile.result) {
    case 'REFLASHED':
      // Got through a noisy line (blocks cut): the hub is fine, the slot's contacts are suspect.
      if (tile.lineSuspect)
        return {
          kind: 'done',
          word: 'Done',
          icon: '✔',
          detail: `v${tile.firmwareVersion ?? '?'} · unload, pack · noisy line: check this slot`,
          action: 'unload',
        };
      return { kind: 'done', word: 'Done', icon: '✔', detail: `v${tile.firmwareVersion ?? '?'} · unload, pack`, action: 'unload' };
    case 'ALREADY_CURRENT':
      return { kind: 'current', word: 'Done', icon: '★', detail: `already v${tile.firmwareVersion ?? '?'} · unload`, action: 'unload' };
    case 'REJECTED':
      return { kind: 'rejected', word: 'Set aside', icon: '⚠', detail: code ? `${code}: ${nextStep(code)}` : 'Put on the rejects shelf', action: 'set-aside' };
    case 'SCRAP':
      return { kind: 'scrapped', word: 'Scrapped', icon: '✖', detail: 'Put in the scrap bin', action: 'set-aside' };
    case 'FAILED':
    case 'INTERRUPTED':
      return {
        kind: 'failed',
        word: tile.result === 'FAILED' ? 'Failed' : 'Stopped',
        icon: '✖',
        detail: code ? `${code}: ${nextStep(code)}` : 'Re-seat the hub',
        action: RESEAT.has(code) || !code ? 'reseat' : 'retry',
      };
    default:
      return { kind: 'waiting', word: 'Waiting', icon: '…', detail: 'Hub seated: press the slot button', action: null };
  }
}

/** The quality guards' holds (docs/quality-guards.md), in words: they outrank the last result. */
function guardWords(tile: SlotTile): TileWords | undefined {
  if (tile.phase !== 'DONE' && tile.phase !== 'EMPTY') return undefined;
  const code = tile.error?.code;
  if (code === 'SLOT_SUSPECT') return { kind: 'failed', word: 'Slot out of service', icon: '✖', detail: nextStep(code), action: null };
  if (!tile.present || tile.result !== 'REJECTED') return undefined;
  if (code === 'WAITING_CANARY') return { kind: 'waiting', word: 'Waiting for canary', icon: '…', detail: nextStep(code), action: null };
  if (code === 'MODEL_HALTED') return { kind: 'waiting', word: 'Model halted', icon: '⏸', detail: nextStep(code), action: null };
  return undefined;
}

export const ACTION_WORDS: Record<NonNullable<TileWords['action']>, string> = {
  unload: 'Unload',
  reseat: 'Re-seat',
  retry: 'Retry',
  'set-aside': 'Set aside',
  'confirm-scrap': 'Confirm scrap',
};

export function formatEta(seconds: number | null): string {
  if (seconds === null) return '';
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')} left`;
}
