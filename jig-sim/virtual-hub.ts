import type { HubIdentity } from '../src/domain/hub-identity.js';
import type { DeviceId, FirmwareVersion } from '../src/domain/identifiers.js';
import type { SmiStatus } from '../src/domain/work-order.js';
import { scaleProfile } from './device-profiles.js';
import type { HubTimingProfile } from './hub-profile.js';

/** SMI status values, as the domain defines them (the DSP inventory's list). */
export type { SmiStatus };

/** The facts of one simulated hub that a test or a stock list sets: what it reports, plus secrets. */
export interface HubSpec extends Omit<HubIdentity, 'locked'> {
  smiStatus: SmiStatus;
  /** Manufacturer master key the hub's unlock key derives from. */
  masterKey: Uint8Array;
}

/** An image the hub holds in its download area: possibly partial, possibly verified. */
export interface HeldImage {
  sha256: Buffer;
  sizeBytes: number;
  /** Contiguous bytes from offset 0 programmed into flash (survives power loss). */
  committedBytes: number;
  /** Set once an on-hub hash over the whole image matched the announced SHA-256 (RAM: lost with power). */
  verified: boolean;
}

/** Hub phases that scenario triggers and attempt counters name. */
export const HUB_PHASES = ['IDENTIFY', 'UNLOCK', 'TRANSFER', 'VERIFY', 'ACTIVATE'] as const;
export type HubPhase = (typeof HUB_PHASES)[number];

/**
 * Defects a scenario gave this hub. They belong to the hub, not the slot: they travel with it
 * when it is moved, as a bad flash sector or a wrong key would.
 */
export interface HubDefects {
  /** Dead: answers nothing, even after a power cycle. */
  bricked: boolean;
  /** The hub holds a different unlock key (a mis-provisioned or foreign hub): every unlock fails. */
  wrongKey: boolean;
  /** Failed unlocks before lockout, overriding the profile. */
  maxUnlockAttempts: number | undefined;
  /** Flash sector index → how many more program operations into it fail. */
  badSectors: Map<number, number>;
  /** Image offsets whose next program flips bit 0 (a weak cell): the on-hub hash then differs. */
  weakBytes: Map<number, number>;
  /** Device-time multiplier (a slow hub); 1 = the profile. */
  slowdown: number;
  /** The next activations boot this version instead of the image's (a bootloader that falls back to another bank). */
  bootVersion: { version: FirmwareVersion; times: number } | undefined;
}

/**
 * The persistent state of a simulated hub: what survives removal from the slot and power loss
 * (identity, running firmware, flash content, committed image prefix, the failed-unlock counter),
 * as a real hub's flash would. RAM state (unlock, receive buffers, lockout, verification) lives in
 * the hub's responder and dies with power.
 */
export class VirtualHub {
  readonly spec: Readonly<Omit<HubSpec, 'firmwareVersion'>>;
  readonly profile: Readonly<HubTimingProfile>;
  runningVersion: FirmwareVersion;
  #flash: Buffer | undefined;
  held: HeldImage | undefined;
  failedUnlocks = 0;
  /** Locked out until the next power-up (the counter stays, so the next failure locks again). */
  lockedOut = false;
  /** A verified image was activated; it becomes the running firmware at the next boot. */
  pendingActivation = false;
  flashCount = 0;
  readonly defects: HubDefects = {
    bricked: false,
    wrongKey: false,
    maxUnlockAttempts: undefined,
    badSectors: new Map(),
    weakBytes: new Map(),
    slowdown: 1,
    bootVersion: undefined,
  };
  /** Simulator bookkeeping (not hub state): how often each phase was entered, for "on the Nth attempt" triggers. */
  readonly phaseCounts = new Map<HubPhase, number>();

  constructor(spec: HubSpec, profile: Readonly<HubTimingProfile>) {
    const { firmwareVersion, ...rest } = spec;
    this.spec = Object.freeze(rest);
    this.profile = profile;
    this.runningVersion = firmwareVersion;
  }

  /**
   * The download area, allocated when first written: a stock of hundreds of simulated hubs (and
   * the shelf of finished ones) must not cost 2 MiB each while holding nothing.
   */
  get flash(): Buffer {
    this.#flash ??= Buffer.alloc(this.profile.flashBytes, 0xff);
    return this.#flash;
  }

  /** After activation the bootloader has moved the image; the simulator keeps only its version. */
  releaseDownloadArea(): void {
    if (!this.held) this.#flash = undefined;
  }

  get deviceId(): DeviceId {
    return this.spec.deviceId;
  }

  /** The profile with this hub's slowdown applied: what the responder times itself by. */
  get timing(): Readonly<HubTimingProfile> {
    return this.defects.slowdown === 1 ? this.profile : scaleProfile(this.profile, this.defects.slowdown);
  }

  get maxUnlockAttempts(): number {
    return this.defects.maxUnlockAttempts ?? this.profile.maxUnlockAttempts;
  }

  /** Counts entry into a phase and returns which attempt this is (1-based). */
  enterPhase(phase: HubPhase): number {
    const n = (this.phaseCounts.get(phase) ?? 0) + 1;
    this.phaseCounts.set(phase, n);
    return n;
  }
}
