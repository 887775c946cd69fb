import { DEVICE_MODELS } from '../firmware-images/models.js';
import { DEFAULT_HUB_PROFILE, type HubTimingProfile } from './hub-profile.js';

/**
 * A Device Model's simulated hardware: its timing profile plus what the hub was built with. The
 * numbers are datasheet-class estimates (real hub internals are manufacturer-private); where each
 * comes from is in docs/simulator.md, which a test keeps in step with this table.
 */
export interface DeviceProfile extends HubTimingProfile {
  manufacturer: string;
  model: string;
  /** Inclusive hardware versions this model was built in (the stock generator draws from it). */
  hardwareVersions: readonly [number, number];
}

/** Per manufacturer: the flash part, MCU and bootloader class we assume. */
const BY_MANUFACTURER: Record<string, Omit<HubTimingProfile, 'maxUnlockAttempts'>> = {
  // Toshiba 1086: 4 KiB-sector SPI NOR (W25Q-class: erase 45 ms typ, program 0.7 ms / 256 B),
  // Cortex-M4 software SHA-256 ~2.5 MB/s; fast UART.
  '1086': {
    unlockMs: 50,
    sectorBytes: 4096,
    eraseMsPerSector: 45,
    writeBytesPerSecond: 365_000,
    hashMsPerMiB: 400,
    rebootMs: 2000,
    maxBlockBytes: 4096,
    maxWindow: 8,
    maxBaudRate: 921_600,
    deflate: true,
    // Protocol 1.1 bootloader: dictionary inflate (32 KiB window kept in RAM) at Cortex-M4 speed.
    deflateDictionary: true,
    inflateBytesPerSecond: 3_500_000,
    flashBytes: 2 * 1024 * 1024,
  },
  // WNC 1178: MX25-class NOR (erase 30 ms typ, program ~0.6 ms / 256 B), MCU with a hash engine.
  '1178': {
    unlockMs: 30,
    sectorBytes: 4096,
    eraseMsPerSector: 30,
    writeBytesPerSecond: 425_000,
    hashMsPerMiB: 120,
    rebootMs: 1500,
    maxBlockBytes: 2048,
    maxWindow: 16,
    maxBaudRate: 460_800,
    deflate: true,
    // A protocol 1.0 bootloader: each block inflates alone (no 32 KiB window in its RAM budget).
    deflateDictionary: false,
    inflateBytesPerSecond: 5_000_000,
    flashBytes: 2 * 1024 * 1024,
  },
  // EDMI 106C: an older, smaller MCU (Cortex-M0+-class software SHA-256 ~0.4 MB/s), no inflate in
  // the bootloader, conservative UART and a slower anti-hammering unlock.
  '106C': {
    unlockMs: 150,
    sectorBytes: 4096,
    eraseMsPerSector: 40,
    writeBytesPerSecond: 320_000,
    hashMsPerMiB: 2500,
    rebootMs: 2500,
    maxBlockBytes: 1024,
    maxWindow: 8,
    maxBaudRate: 230_400,
    deflate: false,
    flashBytes: 1024 * 1024,
  },
};

/** Dual Band hubs carry a second (868 MHz) radio to bring up: a longer boot. */
const DUAL_BAND_EXTRA_REBOOT_MS = 300;

/** One profile per Device Model in `firmware-images/models.ts`. */
export const DEVICE_PROFILES: ReadonlyMap<string, Readonly<DeviceProfile>> = new Map(
  DEVICE_MODELS.map((m) => {
    const base = BY_MANUFACTURER[m.manufacturer];
    if (!base) throw new Error(`no simulator profile for manufacturer ${m.manufacturer}`);
    const profile: DeviceProfile = {
      ...base,
      rebootMs: base.rebootMs + (m.hanVariant === 'Dual Band' ? DUAL_BAND_EXTRA_REBOOT_MS : 0),
      maxUnlockAttempts: DEFAULT_HUB_PROFILE.maxUnlockAttempts,
      manufacturer: m.manufacturer,
      model: m.model,
      hardwareVersions: [m.hardwareMin, m.hardwareMax],
    };
    return [m.model, Object.freeze(profile)];
  }),
);

/** The profile of a model, or {@link DEFAULT_HUB_PROFILE} for a model the table does not know. */
export function deviceProfileFor(model: string): Readonly<HubTimingProfile> {
  return DEVICE_PROFILES.get(model) ?? DEFAULT_HUB_PROFILE;
}

/**
 * A slower (factor > 1) or faster hub: every device time multiplied, every rate divided. What
 * the hub advertises (block, window, baud) is unchanged.
 */
export function scaleProfile(profile: Readonly<HubTimingProfile>, factor: number): Readonly<HubTimingProfile> {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new RangeError(`profile factor must be a positive number, got ${factor}`);
  return Object.freeze({
    ...profile,
    unlockMs: profile.unlockMs * factor,
    eraseMsPerSector: profile.eraseMsPerSector * factor,
    writeBytesPerSecond: profile.writeBytesPerSecond / factor,
    ...(profile.inflateBytesPerSecond !== undefined ? { inflateBytesPerSecond: profile.inflateBytesPerSecond / factor } : {}),
    hashMsPerMiB: profile.hashMsPerMiB * factor,
    rebootMs: profile.rebootMs * factor,
  });
}
