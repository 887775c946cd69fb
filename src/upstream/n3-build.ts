import type { HanVariant } from '../images/manifest.js';
import type { ReportedOutcome } from '../store/outbox-records.js';
import type { ReportFacts } from '../store/report-facts.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';
import { missingFields, type N3Notification } from './n3-notification.js';

/** What the image catalogue says about a hub's Device Model: its production image. */
export interface CatalogueFacts {
  hanVariant: HanVariant;
  smetsChtsVersion: string | undefined;
  version: string;
  sha256: string;
}

export interface BuildInput {
  idempotencyKey: string;
  outcome: ReportedOutcome;
  /** When the outcome was committed (the transition's time). */
  completedAt: string;
  facts: ReportFacts;
  /** The hub on its work order after the transition. */
  hub: WorkOrderHubRecord;
  /** The catalogue entry for the hub's manufacturer and model, if there is one. */
  catalogue: CatalogueFacts | undefined;
}

export type BuildResult = { ok: true; notification: N3Notification } | { ok: false; missing: string[] };

/**
 * Assembles a notification from committed facts; docs/n3.md has the table. The firmware fields
 * follow what the hub runs: after REFLASHED the version read back after reboot and the image the
 * hub verified; ALREADY_CURRENT the running version and the catalogue image of that version (the
 * hub already holds it; nothing was written); SCRAP the last version read from the hub and the
 * image that was being written (else the one that would have been). A field without a source makes
 * the result unreportable rather than reported with a guess.
 */
export function buildNotification(input: BuildInput): BuildResult {
  const { attempt, hub, workOrder } = input.facts;
  const { catalogue, outcome } = input;
  const previousFirmwareVersion = input.hub.firmwareBefore ?? attempt.firmwareBefore;
  const firmwareVersion = outcome === 'SCRAP' ? attempt.firmwareBefore : (input.hub.firmwareAfter ?? attempt.firmwareBefore);
  const imageSha256 = imageOf(outcome, attempt.imageSha256, catalogue, firmwareVersion);
  const candidate: Partial<N3Notification> = {
    idempotencyKey: input.idempotencyKey,
    deviceId: attempt.deviceId,
    gpfDeviceId: hub.gpfDeviceId,
    deviceType: 'CHF',
    manufacturer: hub.manufacturer,
    model: hub.model,
    hardwareVersion: hub.hardwareVersion,
    previousFirmwareVersion,
    firmwareVersion,
    smetsChtsVersion: catalogue?.smetsChtsVersion,
    hanVariant: catalogue?.hanVariant,
    cspRegion: workOrder.cspRegion,
    smiStatus: input.hub.smiStatus,
    workOrderId: workOrder.id,
    secPartyId: workOrder.secPartyId,
    outcome,
    completedAt: input.completedAt,
    imageSha256,
    benchId: attempt.benchId,
    jigId: attempt.jigId,
    slot: attempt.slot,
  };
  const missing = missingFields(candidate);
  return missing.length > 0 ? { ok: false, missing } : { ok: true, notification: candidate as N3Notification };
}

function imageOf(outcome: ReportedOutcome, attempted: string | null, catalogue: CatalogueFacts | undefined, running: string): string | undefined {
  const sameVersion = catalogue?.version === running ? catalogue.sha256 : undefined;
  switch (outcome) {
    case 'REFLASHED':
      // Null only when an earlier attempt of ours verified the image and this one found it running.
      return attempted ?? sameVersion;
    case 'ALREADY_CURRENT':
      return sameVersion;
    case 'SCRAP':
      return attempted ?? catalogue?.sha256;
    case 'REJECTED':
      return catalogue?.sha256;
  }
}
