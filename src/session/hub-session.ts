import { FlashdError, toErrorRecord } from '../domain/errors.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import { firmwareVersionFromNumber } from '../domain/identifiers.js';
import type { Phase, PhaseTimings, TimedPhase } from '../domain/outcomes.js';
import type { PortLink } from '../link/port-link.js';
import type { BaudPolicy } from './baud-policy.js';
import { selectHubDriver, type HubDriver, type HubDriverRegistry, type Identified } from './hub-driver.js';
import type { PreparedBlocks } from './image-blocks.js';
import { pause } from './pause.js';
import { DEFAULT_HUB_DRIVERS } from './reference-hub-driver.js';
import type { SessionControl } from './session-control.js';
import type { HubCapabilities, SessionImage, SessionResult, SessionTimeouts, TransferPreferences, TransferSummary } from './session-types.js';

const INTERRUPTING: ReadonlySet<string> = new Set(['SESSION_INTERRUPTED', 'HUB_REMOVED', 'SLOT_POWER_FAULT', 'LINK_CLOSED']);
/** Silence, not a verdict: from a hub that was pulled or lost power, the pull's doing, not the hub's. */
const SILENCE: ReadonlySet<string> = new Set(['HUB_TIMEOUT', 'TRANSFER_FAILED']);

export interface HubSessionOptions {
  link: PortLink;
  control: SessionControl;
  /** Manufacturer master keys by 4-hex manufacturer code. */
  unlockKeys: ReadonlyMap<string, Uint8Array>;
  timeouts: SessionTimeouts;
  transfer: TransferPreferences;
  /** Line rates: where the session starts, which it may switch to, when it steps down. */
  baud: BaudPolicy;
  /** Hub drivers by manufacturer (hub-driver.ts); default: the reference protocol for all. */
  drivers?: HubDriverRegistry | undefined;
}

/**
 * One hub, start to finish: identify → (bench decides) → unlock → transfer → verify on the hub →
 * activate and reboot → read the running version back. Returns a result for every ending,
 * including interruption at a safe point; it throws only on a bug.
 */
export async function runHubSession(options: HubSessionOptions): Promise<SessionResult> {
  return new HubSession(options).run();
}

class HubSession {
  readonly #o: HubSessionOptions;
  readonly #drivers: HubDriverRegistry;
  /** The `*` driver identifies the hub; then the one for its manufacturer takes the link over. */
  #driver: HubDriver;
  readonly #timings: PhaseTimings = {};
  #phase: Phase = 'IDENTIFYING';
  #identity: HubIdentity | undefined;
  #image: SessionImage | undefined;
  #blocks: PreparedBlocks | undefined;
  #hubSha256: string | undefined;
  #transfer: TransferSummary | undefined;
  /** Once ACTIVATE is sent the hub is committed; the session finishes read-back even if asked to stop. */
  #committed = false;

  constructor(options: HubSessionOptions) {
    this.#o = options;
    this.#drivers = options.drivers ?? DEFAULT_HUB_DRIVERS;
    this.#driver = this.#newDriver('*');
  }

  #newDriver(manufacturer: string): HubDriver {
    const { timeouts, transfer, baud } = this.#o;
    return selectHubDriver(this.#drivers, manufacturer)(this.#o.link, { timeouts, transfer, baud });
  }

  get #signal(): AbortSignal {
    return this.#committed ? this.#o.control.goneSignal : this.#o.control.signal;
  }

  async run(): Promise<SessionResult> {
    try {
      const { identity, capabilities } = await this.#timed('identify', 'IDENTIFYING', () => this.#identifyAndSelect());
      this.#identity = identity;
      this.#enter('CHECKING');
      const decision = await this.#o.control.decide({ t: 'identified', identity, capabilities }, this.#o.timeouts.decisionTimeoutMs);
      if (decision.action === 'finish') {
        return this.#result(decision.result, { firmwareVersion: identity.firmwareVersion, error: decision.error && { ...decision.error, phase: 'CHECKING' } });
      }
      this.#image = decision.image;
      this.#blocks = decision.blocks;
      // The rate switch is timed with unlock: both are the short exchanges before the transfer.
      await this.#timed('unlock', 'UNLOCKING', async () => {
        await this.#driver.raiseRate(this.#signal);
        await this.#unlock(identity);
      });
      await this.#timed('transfer', 'TRANSFERRING', () => this.#sendImage(capabilities));
      await this.#timed('verify', 'VERIFYING', () => this.#verify());
      const rebootMs = await this.#timed('activate', 'ACTIVATING', () => this.#activate());
      const running = await this.#timed('readBack', 'READING_BACK', () => this.#readBack(identity, rebootMs));
      this.#enter('DONE');
      return this.#result('REFLASHED', { firmwareVersion: running });
    } catch (err) {
      // Stopped from outside (shutdown, hub pulled, supply trip, the link itself gone), not failed
      // by the hub: whichever of the link's close and the bench's stop request arrives first. A hub
      // that went silent once it was pulled or unpowered (during its reboot) is the pull's doing
      // too. Silence after a shutdown request is not: a hub that never comes back from its reboot
      // failed. A verdict the hub gave (hash, version, unlock) stands whatever was asked.
      const gone = this.#o.control.goneSignal;
      const cause = gone.aborted && err instanceof FlashdError && SILENCE.has(err.code) ? (gone.reason as unknown) : err;
      const error = { ...toErrorRecord(cause), phase: this.#phase };
      const interrupted = INTERRUPTING.has(error.code);
      return this.#result(interrupted ? 'INTERRUPTED' : 'FAILED', { error });
    } finally {
      // Every ending leaves the line at the jig's rate. A removed or unpowered hub cannot answer
      // (and comes back at its start rate), so only our end changes for those.
      await this.#driver.restore({ askHub: !this.#o.control.goneSignal.aborted });
      this.#o.control.close();
      this.#o.link.close();
    }
  }

  /** The opening IDENTIFY; a manufacturer with its own driver is identified again in its protocol. */
  async #identifyAndSelect(): Promise<Identified> {
    const first = await this.#driver.identify({ first: true, signal: this.#signal });
    if (selectHubDriver(this.#drivers, first.identity.manufacturer) === selectHubDriver(this.#drivers, '*')) return first;
    this.#driver = this.#newDriver(first.identity.manufacturer);
    return this.#driver.identify({ first: false, signal: this.#signal });
  }

  async #unlock(identity: HubIdentity): Promise<void> {
    const master = this.#o.unlockKeys.get(identity.manufacturer);
    if (!master) throw new FlashdError('UNLOCK_KEY_MISSING', `no unlock key configured for manufacturer ${identity.manufacturer}`);
    await this.#driver.unlock(identity, master, this.#signal);
  }

  async #sendImage(capabilities: HubCapabilities): Promise<void> {
    const image = this.#image!;
    let lastReport = 0;
    const running = this.#driver.transfer({
      image,
      blocks: this.#blocks!,
      capabilities,
      signal: this.#signal,
      onProgress: (acked) => {
        const now = performance.now();
        if (now - lastReport >= 100 || acked === image.sizeBytes) {
          lastReport = now;
          this.#o.control.emit({ t: 'progress', doneBytes: acked, totalBytes: image.sizeBytes });
        }
      },
    });
    this.#transfer = running.summary;
    await running.done;
  }

  async #verify(): Promise<void> {
    const image = this.#image!;
    this.#hubSha256 = await this.#driver.verify(image, this.#signal);
    if (this.#hubSha256 !== image.sha256) {
      throw new FlashdError('VERIFY_MISMATCH', `hub computed SHA-256 ${this.#hubSha256}, image is ${image.sha256}`, {
        details: { expected: image.sha256, actual: this.#hubSha256 },
      });
    }
  }

  async #activate(): Promise<number> {
    const t = this.#o.timeouts;
    this.#o.control.signal.throwIfAborted();
    // The verified hash and "ACTIVATE sent" are on disk, in one commit, before either can matter: a
    // daemon killed from here on still knows the hub holds the image and may now run the target
    // (issue 9), during the reboot or the read-back alike.
    await this.#o.control.persist({ t: 'activating', hubSha256: this.#hubSha256! }, t.decisionTimeoutMs);
    this.#o.control.signal.throwIfAborted();
    this.#committed = true;
    return this.#driver.activate(this.#signal);
  }

  /** Waits out the reboot, then reads the running version (the SR 11.2 analogue) and the identity. */
  async #readBack(before: HubIdentity, rebootMs: number): Promise<ReturnType<typeof firmwareVersionFromNumber>> {
    const t = this.#o.timeouts;
    await pause(rebootMs, this.#signal);
    const deadline = performance.now() + t.rebootGraceMs;
    let identity: HubIdentity | undefined;
    for (;;) {
      try {
        identity = (await this.#driver.identify({ first: false, signal: this.#signal })).identity;
        break;
      } catch (err) {
        if (!(err instanceof FlashdError) || err.code !== 'HUB_TIMEOUT' || performance.now() > deadline) throw err;
      }
    }
    if (identity.deviceId !== before.deviceId) {
      throw new FlashdError('DEVICE_ID_CHANGED', `slot now holds ${identity.deviceId}, session started with ${before.deviceId}`);
    }
    const running = firmwareVersionFromNumber(await this.#driver.readVersion(this.#signal));
    const target = this.#image!.version;
    if (running !== target) {
      throw new FlashdError('READBACK_MISMATCH', `hub runs ${running} after reboot, target was ${target}`, { details: { running, target } });
    }
    return running;
  }

  #enter(phase: Phase): void {
    this.#phase = phase;
    this.#o.control.emit({ t: 'phase', phase });
  }

  async #timed<T>(name: TimedPhase, phase: Phase, work: () => Promise<T>): Promise<T> {
    this.#signal?.throwIfAborted();
    this.#enter(phase);
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.#timings[name] = Math.round(performance.now() - started);
    }
  }

  #result(result: SessionResult['result'], extra: Partial<SessionResult>): SessionResult {
    return {
      result,
      identity: this.#identity,
      previousFirmwareVersion: this.#identity?.firmwareVersion,
      targetFirmwareVersion: this.#image?.version,
      imageSha256: this.#image?.sha256,
      hubSha256: this.#hubSha256,
      timings: this.#timings,
      transfer: this.#transfer,
      ...extra,
    };
  }
}
