import type { HubIdentity } from '../domain/hub-identity.js';
import type { PortLink } from '../link/port-link.js';
import type { BaudPolicy } from './baud-policy.js';
import type { PreparedBlocks } from './image-blocks.js';
import type { HubCapabilities, SessionImage, SessionTimeouts, TransferPreferences, TransferSummary } from './session-types.js';

/** What a driver learns from a hub's IDENTIFY. */
export interface Identified {
  identity: HubIdentity;
  capabilities: HubCapabilities;
}

/** One image transfer under way: its figures fill in as it runs (they are kept when it fails). */
export interface RunningTransfer {
  summary: TransferSummary;
  done: Promise<void>;
}

/** What {@link HubDriver.transfer} is given: the image, its prepared blocks and what the hub offers. */
export interface TransferRequest {
  image: SessionImage;
  blocks: PreparedBlocks;
  capabilities: HubCapabilities;
  signal: AbortSignal;
  /** Called with the bytes the hub has acknowledged. */
  onProgress: (ackedBytes: number) => void;
}

/**
 * The hub-facing half of a session: every exchange with the hub, in the hub's own protocol
 * (docs/protocol.md part 2 for the reference driver). The session (hub-session.ts) keeps the
 * order, the bench's decision, the durable facts, the checks (hash, version, Device ID) and the
 * result; a driver only talks to the hub. Every call takes the session's signal.
 */
export interface HubDriver {
  /** IDENTIFY. `first`: the session's opening one, which also finds a hub still booting or left at a raised rate. */
  identify(options: { first: boolean; signal: AbortSignal }): Promise<Identified>;
  /** Moves the line to the fastest rate both ends allow, where the protocol has one. */
  raiseRate(signal: AbortSignal): Promise<void>;
  /** Opens the hub for writing with the manufacturer's master key. */
  unlock(identity: HubIdentity, masterKey: Uint8Array, signal: AbortSignal): Promise<void>;
  /** Writes the image; `onProgress` gets the bytes the hub has acknowledged. */
  transfer(options: TransferRequest): RunningTransfer;
  /** Ends the transfer and has the hub hash what it holds: the SHA-256 (hex) it computed. */
  verify(image: SessionImage, signal: AbortSignal): Promise<string>;
  /** Tells the hub to boot the new image: how long it says its reboot takes, in ms. */
  activate(signal: AbortSignal): Promise<number>;
  /** The version the hub runs, as the 32-bit number of its protocol. */
  readVersion(signal: AbortSignal): Promise<number>;
  /** Leaves the line at the jig's rate (`askHub`: the hub can still answer). Never throws. */
  restore(options: { askHub: boolean }): Promise<void>;
}

export interface HubDriverOptions {
  timeouts: SessionTimeouts;
  transfer: TransferPreferences;
  baud: BaudPolicy;
}

export type HubDriverFactory = (link: PortLink, options: HubDriverOptions) => HubDriver;

/**
 * Hub drivers by manufacturer code (4 hex digits, as IDENTITY reports it, e.g. `1234`). `*` is
 * the driver every session identifies the hub with and that flashes a hub whose manufacturer has
 * no driver of its own.
 */
export type HubDriverRegistry = ReadonlyMap<string, HubDriverFactory>;

/** The driver for a manufacturer, else the `*` one. */
export function selectHubDriver(registry: HubDriverRegistry, manufacturer: string): HubDriverFactory {
  const factory = registry.get(manufacturer.toUpperCase()) ?? registry.get('*');
  if (!factory) throw new RangeError(`no hub driver for manufacturer ${manufacturer} and no default (*) driver`);
  return factory;
}
