import type { HubIdentity } from '../src/domain/hub-identity.js';
import type { DeviceId, FirmwareVersion } from '../src/domain/identifiers.js';
import type { HubTimingProfile } from './hub-profile.js';

/** SMI status values as the DSP inventory records them. */
export type SmiStatus =
  | 'Pending'
  | 'Whitelisted'
  | 'InstalledNotCommissioned'
  | 'Commissioned'
  | 'Decommissioned'
  | 'Withdrawn'
  | 'Suspended'
  | 'Recovery'
  | 'Recovered'
  | 'NotApplicable';

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
  /** Set once an on-hub hash over the whole image matched the announced SHA-256. */
  verified: boolean;
}

/**
 * The persistent state of a simulated hub: what survives removal from the slot and power loss
 * (identity, running firmware, flash content, lockout counter), as a real hub's flash would.
 * RAM state (unlock, receive buffers) lives in the hub's responder and dies with power.
 */
export class VirtualHub {
  readonly spec: Readonly<Omit<HubSpec, 'firmwareVersion'>>;
  readonly profile: Readonly<HubTimingProfile>;
  runningVersion: FirmwareVersion;
  readonly flash: Buffer;
  held: HeldImage | undefined;
  failedUnlocks = 0;
  lockedOut = false;
  /** A verified image was activated; it becomes the running firmware at the next boot. */
  pendingActivation = false;
  flashCount = 0;

  constructor(spec: HubSpec, profile: Readonly<HubTimingProfile>) {
    const { firmwareVersion, ...rest } = spec;
    this.spec = Object.freeze(rest);
    this.profile = profile;
    this.runningVersion = firmwareVersion;
    this.flash = Buffer.alloc(profile.flashBytes, 0xff);
  }

  get deviceId(): DeviceId {
    return this.spec.deviceId;
  }
}
