import type { EligibilityDecision, ImageTarget } from './eligibility.js';
import type { ErrorCode } from './errors.js';
import type { HubIdentity } from './hub-identity.js';
import type { FirmwareVersion } from './identifiers.js';

/** An attempt that had the hub verify an image and then sent ACTIVATE: from then on the hub may run it. */
export interface ActivatedImage {
  attemptId: number;
  version: FirmwareVersion;
  /** The SHA-256 the hub computed, equal to the image's. */
  sha256: string;
}

/** What this bench did to a hub's firmware on its work order, from the attempt records on disk. */
export interface FlashHistory {
  /** Oldest first. Empty when the bench never activated an image on the hub. */
  activations: readonly ActivatedImage[];
}

export const NO_FLASH_HISTORY: FlashHistory = Object.freeze({ activations: Object.freeze([]) });

/**
 * Eligibility, corrected by what the bench itself did to the hub:
 * - `completed`: the hub runs the target, and an earlier attempt verified and activated exactly
 *   that version (its read-back was cut off, e.g. by a crash during the reboot). The re-flash is
 *   ours; reading the version now is its read-back, so it is REFLASHED, never ALREADY_CURRENT.
 * - a hub whose firmware the bench changed is never returned as REJECTED: running a version above
 *   the catalogue's (it booted something other than what it verified), it is flashed with the
 *   catalogue image again (the scrap policy proposes scrap if that fails the same way); failing
 *   any other check (model, hardware), it is proposed for scrap.
 */
export type HistoryDecision =
  | EligibilityDecision
  | { action: 'completed'; target: ImageTarget; activation: ActivatedImage }
  | { action: 'propose-scrap'; code: Extract<ErrorCode, 'FLASHED_HUB_INELIGIBLE'>; reason: string; refusal: string };

/** `target`: the catalogue image eligibility was decided against. Pure. */
export function decideWithHistory(
  hub: Pick<HubIdentity, 'firmwareVersion'>,
  target: ImageTarget | undefined,
  eligibility: EligibilityDecision,
  history: FlashHistory,
): HistoryDecision {
  switch (eligibility.action) {
    case 'flash':
      return eligibility;
    case 'already-current': {
      const activation = history.activations.findLast((a) => a.version === hub.firmwareVersion && a.version === eligibility.target.version);
      return activation ? { action: 'completed', target: eligibility.target, activation } : eligibility;
    }
    case 'refuse':
      if (history.activations.length === 0) return eligibility;
      // DOWNGRADE_REFUSED comes only after the model and hardware checks passed against `target`.
      if (eligibility.code === 'DOWNGRADE_REFUSED' && target) return { action: 'flash', target };
      return {
        action: 'propose-scrap',
        code: 'FLASHED_HUB_INELIGIBLE',
        reason: `this bench activated firmware on the hub, which now fails a check (${eligibility.code}: ${eligibility.reason}): propose scrap`,
        refusal: eligibility.code,
      };
  }
}
