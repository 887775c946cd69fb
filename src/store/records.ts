import type { ErrorCode } from '../domain/errors.js';
import type { AttemptResult, Outcome, PhaseTimings } from '../domain/outcomes.js';

/** A hub as the status API shows it. */
export interface HubRecord {
  deviceId: string;
  gpfDeviceId: string;
  manufacturer: string;
  model: string;
  hardwareVersion: number;
  state: 'FLASHING' | 'FINISHED';
  outcome: Outcome | null;
  /** Version the hub ran when flashd first saw it. */
  previousFirmwareVersion: string;
  /** Version last read from the hub (after reboot when it was flashed). */
  firmwareVersion: string;
  attemptCount: number;
  lastErrorCode: ErrorCode | null;
  firstSeenAt: string;
  updatedAt: string;
}

export interface AttemptRecord {
  id: number;
  deviceId: string;
  benchId: string;
  jigId: string;
  slot: number;
  startedAt: string;
  finishedAt: string | null;
  result: AttemptResult | null;
  firmwareBefore: string;
  firmwareTarget: string | null;
  firmwareAfter: string | null;
  imageSha256: string | null;
  hubSha256: string | null;
  error: { code: string; message: string; phase: string | null } | null;
  timings: PhaseTimings;
  transfer: Record<string, number> | null;
  /** Work order the attempt was made under (null only for attempts recorded before work orders existed). */
  workOrderId: string | null;
  /** Who was at the bench, or who asked for the retry. */
  operatorId: string | null;
}

export interface HubDetail extends HubRecord {
  attempts: AttemptRecord[];
}
