/**
 * How fast a simulated hub does things. The defaults are a plausible mid-range bootloader on an
 * external SPI NOR part; issue-level profiles per Device Model refine them. All times in ms.
 */
export interface HubTimingProfile {
  /** Time to check an unlock response (HMAC on a small MCU). */
  unlockMs: number;
  /** Flash sector size; the hub erases a sector just before it first writes into it. */
  sectorBytes: number;
  eraseMsPerSector: number;
  /** Sustained flash program rate. */
  writeBytesPerSecond: number;
  /** On-hub SHA-256 rate, as time per MiB. */
  hashMsPerMiB: number;
  rebootMs: number;
  /** What the hub reports in IDENTITY. */
  maxBlockBytes: number;
  maxWindow: number;
  maxBaudRate: number;
  deflate: boolean;
  /**
   * Protocol 1.1 (IDENTITY flag 0x10): the bootloader inflates blocks with the up to 32 KiB of image
   * before them as dictionary. Only with `deflate`. Default false: a 1.0 hub.
   */
  deflateDictionary?: boolean;
  /** Inflate rate of the bootloader's decompressor, output bytes per second (paid before programming). */
  inflateBytesPerSecond?: number;
  /**
   * The bootloader keeps blocks that arrive after a gap (up to twice the window) and says so in
   * IDENTITY (flag 0x08), so the host resends only the missing block. Default false: go-back-N.
   */
  selectiveResend?: boolean;
  /** Failed unlocks before the hub locks itself out until power-cycled. */
  maxUnlockAttempts: number;
  /** Flash space for an image. */
  flashBytes: number;
}

export const DEFAULT_HUB_PROFILE: Readonly<HubTimingProfile> = Object.freeze({
  unlockMs: 30,
  sectorBytes: 4096,
  eraseMsPerSector: 20,
  writeBytesPerSecond: 400_000,
  hashMsPerMiB: 60,
  rebootMs: 800,
  maxBlockBytes: 4096,
  maxWindow: 8,
  maxBaudRate: 921_600,
  deflate: true,
  deflateDictionary: true,
  // A Cortex-M4-class bootloader's inflate (uzlib-style, no heap) runs at a few MB/s.
  inflateBytesPerSecond: 4_000_000,
  maxUnlockAttempts: 5,
  flashBytes: 2 * 1024 * 1024,
});

/** A profile where the hub costs no time at all: the pipeline and link are all that is measured. */
export const INSTANT_HUB_PROFILE: Readonly<HubTimingProfile> = Object.freeze({
  ...DEFAULT_HUB_PROFILE,
  unlockMs: 0,
  eraseMsPerSector: 0,
  writeBytesPerSecond: Number.POSITIVE_INFINITY,
  hashMsPerMiB: 0,
  rebootMs: 0,
  inflateBytesPerSecond: Number.POSITIVE_INFINITY,
});
