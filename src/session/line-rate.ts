import { setTimeout as delay } from 'node:timers/promises';
import { FlashdError, isFlashdError } from '../domain/errors.js';
import type { PortLink } from '../link/port-link.js';
import { BAUD_IDLE_REVERT_MS, BAUD_SETTLE_MS, candidateRates, lowerRate, type BaudPolicy } from './baud-policy.js';
import type { HubClient } from './hub-client.js';
import type { LineErrorLimit } from './line-health.js';
import { HUB_STATUS } from './hub-status.js';
import type { SessionTimeouts } from './session-types.js';

/**
 * The line rate of one session's hub link, changed in step on both ends: SET_BAUD, the hub's BAUD
 * reply at the old rate, then our side of the line (`PortLink.setBaudRate`: a real UART changes,
 * raw TCP stays), then an IDENTIFY at the new rate to prove the line works. If it does not, we go
 * back and wait for the hub to do the same on its own ({@link BAUD_IDLE_REVERT_MS}).
 */
export class LineRate {
  readonly #client: HubClient;
  readonly #link: PortLink;
  readonly #policy: BaudPolicy;
  readonly #timeouts: SessionTimeouts;
  readonly #hubMax: number;
  #rate: number;
  /** Rates that failed their check in this session, never tried again. */
  readonly #failed = new Set<number>();
  #settled = false;
  stepDowns = 0;

  constructor(options: { client: HubClient; link: PortLink; policy: BaudPolicy; timeouts: SessionTimeouts; hubMaxBaudRate: number }) {
    this.#client = options.client;
    this.#link = options.link;
    this.#policy = options.policy;
    this.#timeouts = options.timeouts;
    this.#hubMax = options.hubMaxBaudRate;
    this.#rate = options.policy.baseBaudRate;
  }

  get baudRate(): number {
    return this.#rate;
  }

  /** When a noisy stretch should make the transfer hand back so we can step down; undefined: never. */
  get errorLimit(): LineErrorLimit | undefined {
    return this.#rate > this.#policy.baseBaudRate && !this.#settled ? this.#policy.errorLimit : undefined;
  }

  /** No lower rate works: stay at this one and let the transfer's own retries cope. */
  stopSteppingDown(): void {
    this.#settled = true;
  }

  /** Switches to the best rate both ends support; stays where it is if none works. */
  async raise(signal?: AbortSignal): Promise<void> {
    for (const rate of candidateRates(this.#policy, this.#hubMax)) {
      if (this.#failed.has(rate)) continue;
      if (await this.#switchTo(rate, signal)) return;
    }
  }

  /** Goes one rate down after the line proved too noisy; false when already at the base rate. */
  async stepDown(signal?: AbortSignal): Promise<boolean> {
    let rate = lowerRate(this.#policy, this.#hubMax, this.#rate);
    while (rate !== undefined) {
      if (!this.#failed.has(rate) && (await this.#switchTo(rate, signal))) {
        this.stepDowns++;
        return true;
      }
      rate = lowerRate(this.#policy, this.#hubMax, rate);
    }
    return false;
  }

  /** The hub rebooted (after ACTIVATE): it runs at its default rate again, so our end follows. */
  async hubRebooted(): Promise<void> {
    if (this.#rate === this.#policy.baseBaudRate) return;
    await this.#link.setBaudRate(this.#policy.baseBaudRate);
    this.#rate = this.#policy.baseBaudRate;
  }

  /** Best effort at session end: leave hub and line at the base rate for the next session. */
  async restore(): Promise<void> {
    const base = this.#policy.baseBaudRate;
    if (this.#rate === base || this.#link.closedReason !== undefined) return;
    try {
      await this.#client.request({ kind: 'SET_BAUD', baudRate: base }, 'BAUD', { timeoutMs: this.#timeouts.requestTimeoutMs, retries: 0 });
    } catch {
      // The hub falls back by itself after BAUD_IDLE_REVERT_MS of silence.
    }
    this.#rate = base;
    await this.#link.setBaudRate(base).catch(() => undefined);
  }

  async #switchTo(rate: number, signal: AbortSignal | undefined): Promise<boolean> {
    const from = this.#rate;
    const t = this.#timeouts;
    try {
      await this.#client.request({ kind: 'SET_BAUD', baudRate: rate }, 'BAUD', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal });
    } catch (err) {
      if (isFlashdError(err, 'HUB_ERROR') && err.details?.hubStatus === HUB_STATUS.BAUD_UNSUPPORTED) {
        this.#failed.add(rate);
        return false;
      }
      throw err;
    }
    await this.#link.setBaudRate(rate);
    this.#rate = rate;
    await this.#pause(BAUD_SETTLE_MS, signal);
    try {
      await this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries: 1, signal });
      return true;
    } catch (err) {
      if (!isFlashdError(err, 'HUB_TIMEOUT')) throw err;
    }
    // The new rate does not carry: go back, give the hub time to do the same, and prove it did.
    this.#failed.add(rate);
    await this.#link.setBaudRate(from);
    this.#rate = from;
    await this.#pause(BAUD_IDLE_REVERT_MS, signal);
    try {
      await this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal });
    } catch (err) {
      throw new FlashdError('HUB_TIMEOUT', `hub silent at ${rate} and at ${from} baud after a rate change`, { cause: err, details: { from, to: rate } });
    }
    return false;
  }

  /** A wait that a stop request ends with the stop's own reason. */
  async #pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    await delay(ms, undefined, { signal }).catch((err: unknown) => {
      signal?.throwIfAborted();
      throw err;
    });
  }
}
