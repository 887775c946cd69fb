import type { ErrorCode } from './errors.js';
import type { HubIdentity } from './hub-identity.js';
import { compareFirmwareVersions, type FirmwareVersion } from './identifiers.js';

/** The part of a catalogued production image that eligibility needs. */
export interface ImageTarget {
  manufacturer: string;
  model: string;
  version: FirmwareVersion;
  /** Inclusive hardware version bounds from the OTA header; absent means any. */
  hardwareMin?: number | undefined;
  hardwareMax?: number | undefined;
}

export type EligibilityDecision =
  | { action: 'flash'; target: ImageTarget }
  | { action: 'already-current'; target: ImageTarget }
  | { action: 'refuse'; code: Extract<ErrorCode, 'MODEL_UNKNOWN' | 'HARDWARE_OUT_OF_RANGE' | 'DOWNGRADE_REFUSED' | 'HUB_MODEL_MISMATCH'>; reason: string };

/** Refusals that need a person to look, not just a return: the manifest and API flag these hubs. */
export const FLAGGED_REFUSALS: ReadonlySet<string> = new Set<ErrorCode>(['DOWNGRADE_REFUSED', 'HUB_MODEL_MISMATCH']);

/**
 * Decides, before any unlock, what to do with an identified hub: flash it to the latest image for
 * its model, leave it (already current), or refuse (unknown model, hardware outside the image's
 * range, or running a newer version: flashd never downgrades). When the work order named a Device
 * Model, the hub must report that model: a mismatch means the order or the hub's label is wrong.
 */
export function decideEligibility(hub: HubIdentity, target: ImageTarget | undefined, declaredModel?: string | null): EligibilityDecision {
  if (declaredModel && declaredModel !== hub.model) {
    return { action: 'refuse', code: 'HUB_MODEL_MISMATCH', reason: `hub reports Device Model ${hub.model}; the work order lists ${declaredModel}` };
  }
  if (!target || target.manufacturer !== hub.manufacturer) {
    return { action: 'refuse', code: 'MODEL_UNKNOWN', reason: `no production image for manufacturer ${hub.manufacturer} model ${hub.model}` };
  }
  if (
    (target.hardwareMin !== undefined && hub.hardwareVersion < target.hardwareMin) ||
    (target.hardwareMax !== undefined && hub.hardwareVersion > target.hardwareMax)
  ) {
    return {
      action: 'refuse',
      code: 'HARDWARE_OUT_OF_RANGE',
      reason: `hardware version ${hub.hardwareVersion} is outside ${target.hardwareMin ?? '*'}..${target.hardwareMax ?? '*'} of image ${target.version}`,
    };
  }
  const order = compareFirmwareVersions(hub.firmwareVersion, target.version);
  if (order === 0) return { action: 'already-current', target };
  if (order > 0) {
    return { action: 'refuse', code: 'DOWNGRADE_REFUSED', reason: `hub runs ${hub.firmwareVersion}, newer than the catalogued ${target.version}` };
  }
  return { action: 'flash', target };
}
