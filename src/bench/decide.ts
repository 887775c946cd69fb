import { decideEligibility } from '../domain/eligibility.js';
import { decideWithHistory, type ActivatedImage, type FlashHistory } from '../domain/flash-history.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import type { FirmwareVersion } from '../domain/identifiers.js';
import { bindHub, type BindingCandidate } from '../domain/slot-binding.js';
import type { ImageCatalog } from '../images/catalog.js';
import type { SessionDecision, SessionImage } from '../session/session-types.js';

/** What binding and eligibility say, before the image's blocks are prepared for the hub's transfer plan. */
export type HubDecision = { action: 'flash'; image: SessionImage } | Extract<SessionDecision, { action: 'finish' }>;

/** The bench's answer for an identified hub, and what the attempt record needs from it. */
export interface BenchDecision {
  reply: HubDecision;
  /** Work order the slot bound the hub to; absent when the slot refused the hub (no attempt is recorded then). */
  workOrderId?: string | undefined;
  /** The catalogue version the decision was made against. */
  targetVersion?: FirmwareVersion | undefined;
  /** With a REFLASHED finish: the earlier attempt whose verified image the hub now runs (its proof). */
  completes?: ActivatedImage | undefined;
}

/**
 * First the slot binding: only a hub accepted at intake on an open work order (the Device ID read
 * from the hub, not the label) is worked on; anything else is REJECTED with the reason and the hub
 * keeps its state. Then eligibility: the catalogue's latest image for its model if it is older,
 * ALREADY_CURRENT if equal, or REJECTED with the reason; corrected by what this bench already did
 * to the hub on the work order (`history(workOrderId)`, see {@link decideWithHistory}): a hub that
 * runs the target an earlier attempt verified and activated is REFLASHED, and a hub whose firmware
 * the bench changed is re-flashed or proposed for scrap, never REJECTED. The image goes to the
 * worker as a view over shared memory. A hub to flash whose manufacturer has no unlock key
 * (`hasUnlockKey`) is refused before unlock with UNLOCK_KEY_MISSING and no attempt, so it never
 * counts towards scrap.
 */
export function decideForHub(
  identity: HubIdentity,
  catalog: ImageCatalog,
  live: BindingCandidate | undefined,
  rules: {
    maxAttempts: number;
    /** What this bench already did to the hub's firmware on a work order. */
    history: (workOrderId: string) => FlashHistory;
    hasUnlockKey: (manufacturer: string) => boolean;
  },
): BenchDecision {
  const binding = bindHub(identity, live, rules.maxAttempts);
  if (!binding.bound) {
    const details = binding.workOrderId === null ? undefined : { workOrderId: binding.workOrderId };
    return { reply: { action: 'finish', result: 'REJECTED', error: { code: binding.code, message: binding.message, ...(details ? { details } : {}) } } };
  }
  const image = catalog.latestFor(identity.manufacturer, identity.model);
  const decision = decideWithHistory(identity, image, decideEligibility(identity, image, binding.declaredModel), rules.history(binding.workOrderId));
  const bound = { workOrderId: binding.workOrderId, targetVersion: image?.version };
  switch (decision.action) {
    case 'flash':
      if (!rules.hasUnlockKey(identity.manufacturer)) return { reply: { action: 'finish', result: 'REJECTED', error: keyMissing(identity.manufacturer) } };
      return {
        ...bound,
        reply: { action: 'flash', image: { version: image!.version, sha256: image!.sha256, sizeBytes: image!.sizeBytes, data: image!.data } },
      };
    case 'already-current':
      return { ...bound, reply: { action: 'finish', result: 'ALREADY_CURRENT' } };
    case 'completed':
      return { ...bound, completes: decision.activation, reply: { action: 'finish', result: 'REFLASHED' } };
    case 'propose-scrap':
      return {
        ...bound,
        reply: { action: 'finish', result: 'SCRAP', error: { code: decision.code, message: decision.reason, details: { refusal: decision.refusal } } },
      };
    case 'refuse':
      return { ...bound, reply: { action: 'finish', result: 'REJECTED', error: { code: decision.code, message: decision.reason } } };
  }
}

function keyMissing(manufacturer: string): { code: 'UNLOCK_KEY_MISSING'; message: string; details: { manufacturer: string } } {
  return {
    code: 'UNLOCK_KEY_MISSING',
    message: `no unlock key is configured for manufacturer ${manufacturer}; the hub was not touched`,
    details: { manufacturer },
  };
}
