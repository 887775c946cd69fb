import { createHash } from 'node:crypto';
import type { CspRegion, SmiStatus } from '../domain/work-order.js';
import type { HanVariant } from '../images/manifest.js';
import type { ReportedOutcome } from '../store/outbox-records.js';

/**
 * flashd's per-GUID notification to the CSP's N3 client (DOMAIN.md, "The upstream notification";
 * docs/n3.md says where each field comes from). Every field is mandatory: the DSP needs all
 * CSPM-N3 parameters (seed §6.2.3), so a notification is only built complete.
 */
export interface N3Notification {
  /** Unique per attempt, generated once and stored with the row; also sent as `Idempotency-Key`. */
  idempotencyKey: string;
  /** CHF Device ID, the hub's GUID. */
  deviceId: string;
  gpfDeviceId: string;
  /** The function `deviceId` names: always `CHF` (SR 8.2 DeviceType spelling). */
  deviceType: 'CHF';
  manufacturer: string;
  model: string;
  hardwareVersion: number;
  previousFirmwareVersion: string;
  firmwareVersion: string;
  smetsChtsVersion: string;
  hanVariant: HanVariant;
  cspRegion: CspRegion;
  smiStatus: SmiStatus;
  workOrderId: string;
  secPartyId: string;
  outcome: ReportedOutcome;
  completedAt: string;
  imageSha256: string;
  benchId: string;
  jigId: string;
  slot: number;
}

/** The mandatory fields, in the order docs/n3.md lists them. */
export const N3_FIELDS = [
  'idempotencyKey',
  'deviceId',
  'gpfDeviceId',
  'deviceType',
  'manufacturer',
  'model',
  'hardwareVersion',
  'previousFirmwareVersion',
  'firmwareVersion',
  'smetsChtsVersion',
  'hanVariant',
  'cspRegion',
  'smiStatus',
  'workOrderId',
  'secPartyId',
  'outcome',
  'completedAt',
  'imageSha256',
  'benchId',
  'jigId',
  'slot',
] as const satisfies readonly (keyof N3Notification)[];

/**
 * Canonical JSON: keys sorted, no whitespace. The notification holds only strings and integers, so
 * this is also the RFC 8785 form. The stored bytes are what every (re)send carries, so the content
 * for a key can never drift, e.g. after an upgrade that reorders fields.
 */
export function canonicalJson(value: Readonly<Record<string, string | number>>): string {
  const sorted = Object.keys(value).sort();
  return `{${sorted.map((k) => `${JSON.stringify(k)}:${JSON.stringify(value[k])}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Fields that are missing or empty: a notification with any is never queued. */
export function missingFields(candidate: Partial<Record<keyof N3Notification, unknown>>): string[] {
  return N3_FIELDS.filter((f) => {
    const v = candidate[f];
    return v === undefined || v === null || v === '' || (typeof v === 'number' && !Number.isInteger(v));
  });
}
