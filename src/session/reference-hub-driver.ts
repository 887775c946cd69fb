import { FlashdError, isFlashdError } from '../domain/errors.js';
import { deviceIdToBytes, firmwareVersionFromNumber, type FirmwareVersion } from '../domain/identifiers.js';
import { HUB_STATUS } from './hub-status.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import type { PortLink } from '../link/port-link.js';
import { HubClient } from './hub-client.js';
import type { HubDriver, HubDriverFactory, HubDriverOptions, Identified, RunningTransfer, TransferRequest } from './hub-driver.js';
import { identityFromPayload } from './identity.js';
import { emptyTransferSummary, sendImage } from './image-sender.js';
import { LineRate } from './line-rate.js';
import type { SessionImage } from './session-types.js';
import { planTransfer } from './transfer-plan.js';
import { deriveHubKey, unlockResponse } from './unlock.js';

/**
 * The reference hub protocol (docs/protocol.md part 2) that the simulated hubs speak: framed
 * request/response over {@link HubClient}, line rates through {@link LineRate}, the windowed
 * image transfer of image-sender.ts. The driver every manufacturer without its own uses.
 */
export class ReferenceHubDriver implements HubDriver {
  readonly #o: HubDriverOptions;
  readonly #client: HubClient;
  readonly #rate: LineRate;
  /** The version of the image the hub verified: what a retried ACTIVATE's NOT_VERIFIED is checked against. */
  #verified: FirmwareVersion | undefined;

  constructor(link: PortLink, options: HubDriverOptions) {
    this.#o = options;
    this.#client = new HubClient(link);
    this.#rate = new LineRate({ client: this.#client, link, policy: options.baud, timeouts: options.timeouts });
  }

  async identify({ first, signal }: { first: boolean; signal: AbortSignal }): Promise<Identified> {
    const t = this.#o.timeouts;
    const reply = first
      ? await this.#rate.identify(signal)
      : await this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal });
    if (reply.protocolVersion !== 1) throw new FlashdError('HUB_PROTOCOL', `hub speaks protocol version ${reply.protocolVersion}, flashd speaks 1`);
    this.#rate.hubMaxBaudRate = reply.maxBaudRate;
    return identityFromPayload(reply);
  }

  raiseRate(signal: AbortSignal): Promise<void> {
    return this.#rate.raise(signal);
  }

  async unlock(identity: HubIdentity, masterKey: Uint8Array, signal: AbortSignal): Promise<void> {
    const t = this.#o.timeouts;
    const { nonce } = await this.#client.request({ kind: 'UNLOCK_CHALLENGE' }, 'CHALLENGE', {
      timeoutMs: t.requestTimeoutMs,
      retries: t.requestRetries,
      signal,
    });
    const chf = deviceIdToBytes(identity.deviceId);
    const mac = unlockResponse(deriveHubKey(masterKey, chf), nonce, chf, deviceIdToBytes(identity.gpfDeviceId));
    await this.#client.request({ kind: 'UNLOCK', mac }, 'UNLOCKED', { timeoutMs: t.unlockTimeoutMs, retries: t.requestRetries, signal });
  }

  transfer(options: TransferRequest): RunningTransfer {
    const plan = planTransfer(this.#o.transfer, options.capabilities);
    const summary = emptyTransferSummary(options.image.sizeBytes, plan, this.#rate.baudRate);
    const done = sendImage({
      client: this.#client,
      image: options.image,
      blocks: options.blocks,
      plan,
      rate: this.#rate,
      timeouts: this.#o.timeouts,
      signal: options.signal,
      summary,
      onProgress: options.onProgress,
    });
    return { summary, done };
  }

  async verify(image: SessionImage, signal: AbortSignal): Promise<string> {
    const t = this.#o.timeouts;
    const timeoutMs = t.verifyTimeoutBaseMs + Math.ceil((image.sizeBytes / 1_048_576) * t.verifyTimeoutMsPerMiB);
    const { sha256 } = await this.#client.request({ kind: 'FINISH' }, 'VERIFIED', { timeoutMs, retries: t.requestRetries, signal });
    this.#verified = image.version;
    return sha256.toString('hex');
  }

  async activate(signal: AbortSignal): Promise<number> {
    const t = this.#o.timeouts;
    let rebootMs = 0;
    try {
      ({ rebootMs } = await this.#client.request({ kind: 'ACTIVATE' }, 'ACTIVATING', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal }));
    } catch (err) {
      // NOT_VERIFIED to a retried ACTIVATE is ambiguous: the ACTIVATING reply was lost on a noisy
      // line after the hub took ACTIVATE and rebooted into the target, or the hub lost its RAM
      // (a brown-out) before it took it and still runs the old image. Its running version tells.
      if (!isFlashdError(err, 'HUB_ERROR') || err.details?.hubStatus !== HUB_STATUS.NOT_VERIFIED || !(await this.#runsVerified(signal))) throw err;
    }
    await this.#rate.hubRebooted();
    return rebootMs;
  }

  /** The hub already runs the image it verified (READ_VERSION). */
  async #runsVerified(signal: AbortSignal): Promise<boolean> {
    return this.#verified !== undefined && firmwareVersionFromNumber(await this.readVersion(signal)) === this.#verified;
  }

  async readVersion(signal: AbortSignal): Promise<number> {
    const t = this.#o.timeouts;
    const { firmwareVersion } = await this.#client.request({ kind: 'READ_VERSION' }, 'VERSION', {
      timeoutMs: t.requestTimeoutMs,
      retries: t.requestRetries,
      signal,
    });
    return firmwareVersion;
  }

  restore(options: { askHub: boolean }): Promise<void> {
    return this.#rate.restore(options);
  }
}

export const createReferenceHubDriver: HubDriverFactory = (link, options) => new ReferenceHubDriver(link, options);

/** The drivers a session chooses from: today the reference protocol for every manufacturer. */
export const DEFAULT_HUB_DRIVERS: ReadonlyMap<string, HubDriverFactory> = new Map([['*', createReferenceHubDriver]]);
