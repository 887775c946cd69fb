import type { MessagePort } from 'node:worker_threads';
import type { ErrorRecord } from '../domain/errors.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import type { FirmwareVersion } from '../domain/identifiers.js';
import type { AttemptResult, Phase, PhaseTimings } from '../domain/outcomes.js';

/** What the hub offers for transfers, from its IDENTITY reply. */
export interface HubCapabilities {
  protocolVersion: number;
  maxBlockBytes: number;
  maxWindow: number;
  maxBaudRate: number;
  deflate: boolean;
  imageHeld: boolean;
}

/** The image a session flashes. `data` is a view over a SharedArrayBuffer: shared, never copied. */
export interface SessionImage {
  version: FirmwareVersion;
  sha256: string;
  sizeBytes: number;
  data: Uint8Array;
}

/** The bench's answer once it knows which hub is in the slot (eligibility, binding). */
export type SessionDecision =
  | { action: 'flash'; image: SessionImage }
  | { action: 'finish'; result: Exclude<AttemptResult, 'REFLASHED' | 'INTERRUPTED'>; error?: ErrorRecord };

/** Session → bench messages on the control port. */
export type SessionEvent =
  | { t: 'identified'; identity: HubIdentity; capabilities: HubCapabilities }
  | { t: 'phase'; phase: Phase }
  | { t: 'progress'; doneBytes: number; totalBytes: number };

/** Bench → session messages on the control port. */
export type SessionCommand =
  | { t: 'decision'; decision: SessionDecision }
  | { t: 'cancel'; reason: string; code?: 'SESSION_INTERRUPTED' | 'HUB_REMOVED' | 'SLOT_POWER_FAULT' };

/** Timing parameters of a session; defaults live in the config schema. */
export interface SessionTimeouts {
  requestTimeoutMs: number;
  requestRetries: number;
  unlockTimeoutMs: number;
  /** Verify allows this much per MiB of image for the hub's hash plus outstanding flash writes. */
  verifyTimeoutMsPerMiB: number;
  verifyTimeoutBaseMs: number;
  /** Upper bound for a reboot, on top of what the hub announces. */
  rebootGraceMs: number;
  ackTimeoutMs: number;
  transferRetries: number;
  decisionTimeoutMs: number;
}

export interface TransferPreferences {
  /** Largest block flashd offers; the hub may ask for less. */
  blockBytes: number;
  /** Largest window flashd offers; the hub may ask for less. */
  window: number;
  deflate: boolean;
}

/** A session task as it crosses into a piscina worker. Ports are in the transfer list. */
export interface SessionTask {
  bytePort: MessagePort;
  controlPort: MessagePort;
  jigId: string;
  slot: number;
  baudRate: number;
  timeouts: SessionTimeouts;
  transfer: TransferPreferences;
}

export interface TransferSummary {
  imageBytes: number;
  resumedFromBytes: number;
  wireBytes: number;
  blocksResent: number;
  timeouts: number;
  crcErrors: number;
  elapsedMs: number;
}

/** What a session returns; the bench stores it as one attempt. */
export interface SessionResult {
  result: AttemptResult;
  identity?: HubIdentity | undefined;
  previousFirmwareVersion?: FirmwareVersion | undefined;
  targetFirmwareVersion?: FirmwareVersion | undefined;
  /** Version read back from the hub after reboot (or at identify when nothing was flashed). */
  firmwareVersion?: FirmwareVersion | undefined;
  imageSha256?: string | undefined;
  /** SHA-256 the hub computed over what it holds, before activation. */
  hubSha256?: string | undefined;
  timings: PhaseTimings;
  transfer?: TransferSummary | undefined;
  error?: (ErrorRecord & { phase: Phase }) | undefined;
}
