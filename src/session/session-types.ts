import type { MessagePort } from 'node:worker_threads';
import type { ErrorRecord } from '../domain/errors.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import type { FirmwareVersion } from '../domain/identifiers.js';
import type { AttemptResult, Phase, PhaseTimings } from '../domain/outcomes.js';
import type { BaudPolicy } from './baud-policy.js';
import type { PreparedBlocks } from './image-blocks.js';

/** What the hub offers for transfers, from its IDENTITY reply. */
export interface HubCapabilities {
  protocolVersion: number;
  maxBlockBytes: number;
  maxWindow: number;
  maxBaudRate: number;
  deflate: boolean;
  /** Protocol 1.1: the hub inflates blocks with the preceding image as dictionary (IDENTITY flag 0x10). */
  deflateDictionary: boolean;
  imageHeld: boolean;
  /** The hub keeps blocks received after a gap (IDENTITY flag 0x08): resend only what is missing. */
  selective: boolean;
}

/** The image a session flashes. `data` is a view over a SharedArrayBuffer: shared, never copied. */
export interface SessionImage {
  version: FirmwareVersion;
  sha256: string;
  sizeBytes: number;
  data: Uint8Array;
}

/**
 * The bench's answer once it knows which hub is in the slot (eligibility, binding). To flash, it
 * also hands over the image's blocks prepared for this hub's plan ({@link planTransfer}): prepared
 * once per image and block size on the main thread's behalf and shared, never per session.
 */
export type SessionDecision =
  | { action: 'flash'; image: SessionImage; blocks: PreparedBlocks }
  /** REFLASHED: the hub runs the image an earlier attempt verified and activated; identifying it was the read-back. */
  | { action: 'finish'; result: Exclude<AttemptResult, 'INTERRUPTED'>; error?: ErrorRecord };

/** Session → bench messages on the control port. */
export type SessionNotice =
  | { t: 'identified'; identity: HubIdentity; capabilities: HubCapabilities }
  | { t: 'phase'; phase: Phase }
  | { t: 'progress'; doneBytes: number; totalBytes: number };

/**
 * Facts the bench must have on disk before the session takes the step that rests on them (issue
 * 9), so they outlive a thread or a daemon killed later: the session posts one with a sequence
 * number and waits for its `persisted` answer. There is one, committed once: the hub's SHA-256
 * equals the image's and ACTIVATE is about to leave the wire, after which the hub may boot the
 * target. (They were two commits in a row: a second fsync and main-thread round trip per hub, with
 * no window in which the first alone was needed.)
 */
export type DurableFact = { t: 'activating'; hubSha256: string };
export type SessionEvent = SessionNotice | { t: 'durable'; seq: number; fact: DurableFact };

/** Bench → session messages on the control port. */
export type SessionCommand =
  | { t: 'decision'; decision: SessionDecision }
  /** The fact `seq` is committed (or, with `error`, could not be: the session must not go on). */
  | { t: 'persisted'; seq: number; error?: ErrorRecord }
  | { t: 'cancel'; reason: string; code?: 'SESSION_INTERRUPTED' | 'HUB_REMOVED' | 'SLOT_POWER_FAULT' };

/** Timing parameters of a session; defaults live in the config schema. */
export interface SessionTimeouts {
  requestTimeoutMs: number;
  requestRetries: number;
  /** Opening IDENTIFY: short timeout, repeated for up to bootWaitMs while a just-seated hub boots. */
  probeTimeoutMs: number;
  bootWaitMs: number;
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
  /** Use protocol 1.1's dictionary deflate with hubs that offer it; absent means yes. */
  deflateDictionary?: boolean;
}

/** A session task as it crosses into a piscina worker. Ports are in the transfer list. */
export interface SessionTask {
  bytePort: MessagePort;
  controlPort: MessagePort;
  jigId: string;
  slot: number;
  /** The jig's configured rate: every session starts there, and leaves the line there. */
  baudRate: number;
  /** Rates the session may switch to and when it steps down. */
  baud: Omit<BaudPolicy, 'baseBaudRate'>;
  timeouts: SessionTimeouts;
  transfer: TransferPreferences;
}

/** How a transfer went; recorded with the attempt, also when it failed part-way. */
export interface TransferSummary {
  imageBytes: number;
  /** Offset the hub already held, confirmed by its prefix hash. */
  resumedFromBytes: number;
  /** A held prefix whose hash did not match, discarded (absent when none was). */
  prefixRejectedBytes?: number;
  /** Image bytes sent, resends included. */
  sentBytes: number;
  /** DATA payload bytes sent (deflated where it was), resends included. */
  wireBytes: number;
  blocksResent: number;
  /** Gap acknowledgements acted on (frames lost or corrupt on the way to the hub). */
  gaps: number;
  timeouts: number;
  /** Frames from the hub our parser dropped for a bad CRC. */
  crcErrors: number;
  /** From the first DATA frame to the acknowledgement of the last byte. */
  elapsedMs: number;
  blockBytes: number;
  window: number;
  /** Line rate at the end of the transfer. */
  baudRate: number;
  stepDowns: number;
  /** Times the block size was cut on a noisy line (`blockBytes` is the size at the end); absent when never. */
  blockSteps?: number;
  /**
   * Present when the line was too noisy for the planned block (blocks cut), even if the image got
   * through: line errors per block sent, and a flag for the technician to have the slot checked.
   */
  lineSuspect?: boolean;
  errorRate?: number;
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
