import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { FlashdError, toErrorRecord } from '../domain/errors.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import { deviceIdToBytes, firmwareVersionFromNumber } from '../domain/identifiers.js';
import type { Phase, PhaseTimings, TimedPhase } from '../domain/outcomes.js';
import type { PortLink } from '../link/port-link.js';
import { HubClient } from './hub-client.js';
import { BEGIN_DISCARD } from './hub-messages.js';
import { identityFromPayload } from './identity.js';
import { wireBlocks } from './image-blocks.js';
import type { SessionControl } from './session-control.js';
import type { HubCapabilities, SessionImage, SessionResult, SessionTimeouts, TransferPreferences, TransferSummary } from './session-types.js';
import { transferImage } from './transfer.js';
import { deriveHubKey, unlockResponse } from './unlock.js';

export interface HubSessionOptions {
  link: PortLink;
  control: SessionControl;
  /** Manufacturer master keys by 4-hex manufacturer code. */
  unlockKeys: ReadonlyMap<string, Uint8Array>;
  timeouts: SessionTimeouts;
  transfer: TransferPreferences;
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
  #hubSha256: string | undefined;
  #transfer: TransferSummary | undefined;
  /** Once ACTIVATE is sent the hub is committed; the session finishes read-back even if asked to stop. */
  #committed = false;

  constructor(options: HubSessionOptions) {
    this.#o = options;
    this.#client = new HubClient(options.link);
  }

  get #signal(): AbortSignal | undefined {
    return this.#committed ? undefined : this.#o.control.signal;
  }

  async run(): Promise<SessionResult> {
    try {
      const { identity, capabilities } = await this.#timed('identify', 'IDENTIFYING', () => this.#identify());
      this.#identity = identity;
      this.#enter('CHECKING');
      const decision = await this.#o.control.decide({ t: 'identified', identity, capabilities }, this.#o.timeouts.decisionTimeoutMs);
      if (decision.action === 'finish') {
        return this.#result(decision.result, { firmwareVersion: identity.firmwareVersion, error: decision.error && { ...decision.error, phase: 'CHECKING' } });
      }
      this.#image = decision.image;
      await this.#timed('unlock', 'UNLOCKING', () => this.#unlock(identity));
      await this.#timed('transfer', 'TRANSFERRING', () => this.#sendImage(capabilities));
      await this.#timed('verify', 'VERIFYING', () => this.#verify());
      const rebootMs = await this.#timed('activate', 'ACTIVATING', () => this.#activate());
      const running = await this.#timed('readBack', 'READING_BACK', () => this.#readBack(identity, rebootMs));
      this.#enter('DONE');
      return this.#result('REFLASHED', { firmwareVersion: running });
    } catch (err) {
      const error = { ...toErrorRecord(err), phase: this.#phase };
      const interrupted = error.code === 'SESSION_INTERRUPTED' || error.code === 'HUB_REMOVED' || error.code === 'SLOT_POWER_FAULT';
      return this.#result(interrupted ? 'INTERRUPTED' : 'FAILED', { error });
    } finally {
      this.#o.control.close();
      this.#o.link.close();
    }
  }

  async #identify(): Promise<ReturnType<typeof identityFromPayload>> {
    const t = this.#o.timeouts;
    const reply = await this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal: this.#signal });
    if (reply.protocolVersion !== 1) throw new FlashdError('HUB_PROTOCOL', `hub speaks protocol version ${reply.protocolVersion}, flashd speaks 1`);
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
    const t = this.#o.timeouts;
    const prefs = this.#o.transfer;
    const blockBytes = Math.min(prefs.blockBytes, capabilities.maxBlockBytes);
    const window = Math.max(1, Math.min(prefs.window, capabilities.maxWindow));
    const sha256 = Buffer.from(image.sha256, 'hex');
    const begin = (flags: number) =>
      this.#client.request({ kind: 'BEGIN', sha256, imageSize: image.sizeBytes, blockBytes, window, flags }, 'READY', {
        timeoutMs: t.requestTimeoutMs,
        retries: t.requestRetries,
        signal: this.#signal,
      });
    let ready = await begin(0);
    if (ready.resumeOffset > 0 && !this.#prefixMatches(ready.resumeOffset, ready.prefixSha256, blockBytes)) {
      // Never trust a prefix that cannot be confirmed: start again from zero.
      ready = await begin(BEGIN_DISCARD);
    }
    if (ready.resumeOffset !== 0 && (ready.resumeOffset % blockBytes !== 0 || ready.resumeOffset > image.sizeBytes)) {
      throw new FlashdError('HUB_PROTOCOL', `hub offered resume offset ${ready.resumeOffset}, not a block boundary of ${blockBytes} within ${image.sizeBytes}`);
    }
    const blocks = wireBlocks(image.sha256, image.data, blockBytes, prefs.deflate && capabilities.deflate);
    const started = performance.now();
    this.#o.control.emit({ t: 'progress', doneBytes: ready.resumeOffset, totalBytes: image.sizeBytes });
    let lastReport = 0;
    const stats = await transferImage(this.#client, blocks, {
      imageBytes: image.sizeBytes,
      blockBytes,
      window,
      startOffset: ready.resumeOffset,
      ackTimeoutMs: t.ackTimeoutMs,
      maxRetries: t.transferRetries,
      signal: this.#signal,
      onProgress: (acked) => {
        const now = performance.now();
        if (now - lastReport >= 100 || acked === image.sizeBytes) {
          lastReport = now;
          this.#o.control.emit({ t: 'progress', doneBytes: acked, totalBytes: image.sizeBytes });
        }
      },
    });
    this.#transfer = {
      imageBytes: image.sizeBytes,
      resumedFromBytes: stats.startOffset,
      wireBytes: stats.wireBytes,
      blocksResent: stats.blocksResent,
      timeouts: stats.timeouts,
      crcErrors: this.#client.parserStats.crcErrors,
      elapsedMs: Math.round(performance.now() - started),
    };
  }

  #prefixMatches(offset: number, prefixSha256: Buffer, blockBytes: number): boolean {
    const image = this.#image!;
    if (offset % blockBytes !== 0 || offset > image.sizeBytes) return false;
    return createHash('sha256').update(image.data.subarray(0, offset)).digest().equals(prefixSha256);
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
  }

  async #activate(): Promise<number> {
    const t = this.#o.timeouts;
    this.#o.control.signal.throwIfAborted();
    this.#committed = true;
    const { rebootMs } = await this.#client.request({ kind: 'ACTIVATE' }, 'ACTIVATING', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries });
    return rebootMs;
  }

  /** Waits out the reboot, then reads the running version (the SR 11.2 analogue) and the identity. */
  async #readBack(before: HubIdentity, rebootMs: number): Promise<ReturnType<typeof firmwareVersionFromNumber>> {
    const t = this.#o.timeouts;
    await delay(rebootMs);
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
    const { firmwareVersion } = await this.#client.request({ kind: 'READ_VERSION' }, 'VERSION', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries });
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
