import { FlashdError, isFlashdError, toErrorRecord } from '../domain/errors.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import { deviceIdToBytes, firmwareVersionFromNumber } from '../domain/identifiers.js';
import type { Phase, PhaseTimings, TimedPhase } from '../domain/outcomes.js';
import type { PortLink } from '../link/port-link.js';
import type { BaudPolicy } from './baud-policy.js';
import { HubClient } from './hub-client.js';
import { HUB_STATUS } from './hub-status.js';
import { identityFromPayload } from './identity.js';
import type { PreparedBlocks } from './image-blocks.js';
import { emptyTransferSummary, sendImage } from './image-sender.js';
import { LineRate } from './line-rate.js';
import { pause } from './pause.js';
import type { SessionControl } from './session-control.js';
import type { HubCapabilities, SessionImage, SessionResult, SessionTimeouts, TransferPreferences, TransferSummary } from './session-types.js';
import { planTransfer } from './transfer-plan.js';
import { deriveHubKey, unlockResponse } from './unlock.js';

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
  readonly #client: HubClient;
  readonly #timings: PhaseTimings = {};
  #phase: Phase = 'IDENTIFYING';
  #identity: HubIdentity | undefined;
  #image: SessionImage | undefined;
  #blocks: PreparedBlocks | undefined;
  readonly #rate: LineRate;
  #hubSha256: string | undefined;
  #transfer: TransferSummary | undefined;
  /** Once ACTIVATE is sent the hub is committed; the session finishes read-back even if asked to stop. */
  #committed = false;

  constructor(options: HubSessionOptions) {
    this.#o = options;
    this.#client = new HubClient(options.link);
    this.#rate = new LineRate({ client: this.#client, link: options.link, policy: options.baud, timeouts: options.timeouts });
  }

  get #signal(): AbortSignal {
    return this.#committed ? this.#o.control.goneSignal : this.#o.control.signal;
  }

  async run(): Promise<SessionResult> {
    try {
      const { identity, capabilities } = await this.#timed('identify', 'IDENTIFYING', () => this.#identify(true));
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
        await this.#rate.raise(this.#signal);
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
      await this.#rate.restore({ askHub: !this.#o.control.goneSignal.aborted });
      this.#o.control.close();
      this.#o.link.close();
    }
  }

  /** `first`: the session's opening IDENTIFY, which also finds a hub left at a raised rate. */
  async #identify(first = false): Promise<ReturnType<typeof identityFromPayload>> {
    const t = this.#o.timeouts;
    const reply = first
      ? await this.#rate.identify(this.#signal)
      : await this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal: this.#signal });
    if (reply.protocolVersion !== 1) throw new FlashdError('HUB_PROTOCOL', `hub speaks protocol version ${reply.protocolVersion}, flashd speaks 1`);
    this.#rate.hubMaxBaudRate = reply.maxBaudRate;
    return identityFromPayload(reply);
  }

  async #unlock(identity: HubIdentity): Promise<void> {
    const master = this.#o.unlockKeys.get(identity.manufacturer);
    if (!master) throw new FlashdError('UNLOCK_KEY_MISSING', `no unlock key configured for manufacturer ${identity.manufacturer}`);
    const t = this.#o.timeouts;
    const { nonce } = await this.#client.request({ kind: 'UNLOCK_CHALLENGE' }, 'CHALLENGE', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal: this.#signal });
    const chf = deviceIdToBytes(identity.deviceId);
    const mac = unlockResponse(deriveHubKey(master, chf), nonce, chf, deviceIdToBytes(identity.gpfDeviceId));
    await this.#client.request({ kind: 'UNLOCK', mac }, 'UNLOCKED', { timeoutMs: t.unlockTimeoutMs, retries: t.requestRetries, signal: this.#signal });
  }

  async #sendImage(capabilities: HubCapabilities): Promise<void> {
    const image = this.#image!;
    const plan = planTransfer(this.#o.transfer, capabilities);
    this.#transfer = emptyTransferSummary(image.sizeBytes, plan, this.#rate.baudRate);
    let lastReport = 0;
    await sendImage({
      client: this.#client,
      image,
      blocks: this.#blocks!,
      plan,
      rate: this.#rate,
      timeouts: this.#o.timeouts,
      signal: this.#signal,
      summary: this.#transfer,
      onProgress: (acked) => {
        const now = performance.now();
        if (now - lastReport >= 100 || acked === image.sizeBytes) {
          lastReport = now;
          this.#o.control.emit({ t: 'progress', doneBytes: acked, totalBytes: image.sizeBytes });
        }
      },
    });
  }

  async #verify(): Promise<void> {
    const image = this.#image!;
    const t = this.#o.timeouts;
    const timeoutMs = t.verifyTimeoutBaseMs + Math.ceil((image.sizeBytes / 1_048_576) * t.verifyTimeoutMsPerMiB);
    const { sha256 } = await this.#client.request({ kind: 'FINISH' }, 'VERIFIED', { timeoutMs, retries: t.requestRetries, signal: this.#signal });
    this.#hubSha256 = sha256.toString('hex');
    if (this.#hubSha256 !== image.sha256) {
      throw new FlashdError('VERIFY_MISMATCH', `hub computed SHA-256 ${this.#hubSha256}, image is ${image.sha256}`, {
        details: { expected: image.sha256, actual: this.#hubSha256 },
      });
    }
    // On disk before anything rests on it: a daemon killed from here on still knows the hub holds the image.
    await this.#o.control.persist({ t: 'verified', hubSha256: this.#hubSha256 }, this.#o.timeouts.decisionTimeoutMs);
  }

  async #activate(): Promise<number> {
    const t = this.#o.timeouts;
    this.#o.control.signal.throwIfAborted();
    // "ACTIVATE sent" is on disk before it can be true: a daemon killed during the reboot or the
    // read-back leaves an attempt that says the hub may now run the target (issue 9).
    await this.#o.control.persist({ t: 'activating' }, t.decisionTimeoutMs);
    this.#o.control.signal.throwIfAborted();
    this.#committed = true;
    let rebootMs = 0;
    try {
      ({ rebootMs } = await this.#client.request({ kind: 'ACTIVATE' }, 'ACTIVATING', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal: this.#signal }));
    } catch (err) {
      // NOT_VERIFIED to a retried ACTIVATE is ambiguous: the ACTIVATING reply was lost on a noisy
      // line after the hub took ACTIVATE and rebooted into the target, or the hub lost its RAM
      // (a brown-out) before it took it and still runs the old image. Its running version tells.
      if (!isFlashdError(err, 'HUB_ERROR') || err.details?.hubStatus !== HUB_STATUS.NOT_VERIFIED || !(await this.#runsTarget())) throw err;
    }
    await this.#rate.hubRebooted();
    return rebootMs;
  }

  /** The hub already runs the image this session flashes (READ_VERSION). */
  async #runsTarget(): Promise<boolean> {
    const t = this.#o.timeouts;
    const { firmwareVersion } = await this.#client.request({ kind: 'READ_VERSION' }, 'VERSION', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal: this.#signal });
    return firmwareVersionFromNumber(firmwareVersion) === this.#image!.version;
  }

  /** Waits out the reboot, then reads the running version (the SR 11.2 analogue) and the identity. */
  async #readBack(before: HubIdentity, rebootMs: number): Promise<ReturnType<typeof firmwareVersionFromNumber>> {
    const t = this.#o.timeouts;
    await pause(rebootMs, this.#signal);
    const deadline = performance.now() + t.rebootGraceMs;
    let identity: HubIdentity | undefined;
    for (;;) {
      try {
        identity = (await this.#identify()).identity;
        break;
      } catch (err) {
        if (!(err instanceof FlashdError) || err.code !== 'HUB_TIMEOUT' || performance.now() > deadline) throw err;
      }
    }
    if (identity.deviceId !== before.deviceId) {
      throw new FlashdError('DEVICE_ID_CHANGED', `slot now holds ${identity.deviceId}, session started with ${before.deviceId}`);
    }
    const { firmwareVersion } = await this.#client.request({ kind: 'READ_VERSION' }, 'VERSION', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal: this.#signal });
    const running = firmwareVersionFromNumber(firmwareVersion);
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

