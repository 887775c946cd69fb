import { FlashdError, isFlashdError } from '../domain/errors.js';
import type { PortLink } from '../link/port-link.js';
import { BAUD_IDLE_REVERT_MS, BAUD_SETTLE_MS, candidateRates, lowerRate, type BaudPolicy } from './baud-policy.js';
import type { HubClient } from './hub-client.js';
import type { MessageOf } from './hub-messages.js';
import { HUB_STATUS } from './hub-status.js';
import type { LineErrorLimit } from './line-health.js';
import { pause } from './pause.js';
import type { SessionTimeouts } from './session-types.js';

/**
 * The line rate of one session's hub link, changed in step on both ends (docs/protocol.md §2.8):
 * SET_BAUD, the hub's BAUD reply at the old rate, then our side of the line
 * (`PortLink.setBaudRate`: a real UART changes, raw TCP stays), then an IDENTIFY at the new rate
 * to prove the line works. If it does not, we go to the base rate and wait for the hub to go there
 * on its own ({@link BAUD_IDLE_REVERT_MS}).
 */
export class LineRate {
  readonly #client: HubClient;
  readonly #link: PortLink;
  readonly #policy: BaudPolicy;
  readonly #timeouts: SessionTimeouts;
  /** The hub's maxBaud from IDENTITY; unknown (no limit) until then. */
  hubMaxBaudRate = Number.POSITIVE_INFINITY;
  #rate: number;
  /** Rates that failed their check in this session, never tried again. */
  readonly #failed = new Set<number>();
  #settled = false;
  stepDowns = 0;

  constructor(options: { client: HubClient; link: PortLink; policy: BaudPolicy; timeouts: SessionTimeouts }) {
    this.#client = options.client;
    this.#link = options.link;
    this.#policy = options.policy;
    this.#timeouts = options.timeouts;
    this.#rate = options.policy.baseBaudRate;
  }

  get baudRate(): number {
    return this.#rate;
  }

  /** Above the base rate (the hub would go back there by itself after a silence). */
  get aboveBase(): boolean {
    return this.#rate > this.#policy.baseBaudRate;
  }

  /** When a noisy stretch should make the transfer hand back so we can step down; undefined: never. */
  get errorLimit(): LineErrorLimit | undefined {
    return this.#rate > this.#policy.baseBaudRate && !this.#settled ? this.#policy.errorLimit : undefined;
  }

  /** The configured error limit, whatever the rate: past it, a transfer that cannot slow down takes smaller blocks. */
  get noiseLimit(): LineErrorLimit | undefined {
    return this.#policy.errorLimit;
  }

  /**
   * The ACK timeout to use now. Above the base rate it stays under half the hub's idle revert, so
   * a hub whose acknowledgements were lost hears our resend long before it would give up on the rate.
   */
  ackTimeoutMs(configured: number): number {
    return this.#rate > this.#policy.baseBaudRate ? Math.min(configured, BAUD_IDLE_REVERT_MS / 2) : configured;
  }

  /** No lower rate works: stay at this one and let the transfer's own retries cope. */
  stopSteppingDown(): void {
    this.#settled = true;
  }

  /**
   * The session's first IDENTIFY. A hub left at a raised rate (flashd restarted or crashed
   * mid-session) does not hear the base rate until its idle revert; rather than wait, try the rates
   * a session may have left it at, then the base rate again with the full retries.
   */
  async identify(signal?: AbortSignal): Promise<MessageOf<'IDENTITY'>> {
    const t = this.#timeouts;
    const ask = (retries: number) => this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries, signal });
    // A hub seated a moment ago is still booting and drops what it hears: probe often, so the
    // session starts as soon as it is up rather than one full request timeout later.
    const probe = () =>
      this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.probeTimeoutMs, retries: Math.ceil(t.bootWaitMs / t.probeTimeoutMs), signal });
    try {
      return await probe();
    } catch (err) {
      if (!isFlashdError(err, 'HUB_TIMEOUT') || candidateRates(this.#policy, this.hubMaxBaudRate).length === 0) throw err;
    }
    for (const rate of candidateRates(this.#policy, this.hubMaxBaudRate)) {
      await this.#setOurs(rate, signal);
      try {
        return await ask(0);
      } catch (err) {
        if (!isFlashdError(err, 'HUB_TIMEOUT')) throw err;
      }
    }
    await this.#setOurs(this.#policy.baseBaudRate, signal);
    return ask(t.requestRetries);
  }

  /** Switches to the best rate both ends support; stays where it is if none works. */
  async raise(signal?: AbortSignal): Promise<void> {
    for (const rate of candidateRates(this.#policy, this.hubMaxBaudRate)) {
      if (rate <= this.#rate) return;
      if (this.#failed.has(rate)) continue;
      if (await this.#switchTo(rate, signal)) return;
    }
  }

  /** Goes one rate down after the line proved too noisy; false when already at the base rate. */
  async stepDown(signal?: AbortSignal): Promise<boolean> {
    let rate = lowerRate(this.#policy, this.hubMaxBaudRate, this.#rate);
    while (rate !== undefined) {
      if (!this.#failed.has(rate) && (await this.#switchTo(rate, signal))) {
        this.stepDowns++;
        return true;
      }
      rate = lowerRate(this.#policy, this.hubMaxBaudRate, Math.min(rate, this.#rate));
    }
    return false;
  }

  /**
   * Nothing got through at a raised rate: go to the base rate and stay there. On a line that bad
   * the hub may not hear SET_BAUD, or may already have gone back by itself after
   * BAUD_IDLE_REVERT_MS without a valid frame, so ask, switch our end whatever the answer, and find
   * the hub there (waiting out its idle revert once if it is silent). `askHub: false` skips the
   * SET_BAUD when the hub just failed to answer at this rate anyway.
   */
  async fallBack(signal?: AbortSignal, options: { askHub: boolean } = { askHub: true }): Promise<void> {
    const base = this.#policy.baseBaudRate;
    this.#settled = true;
    if (this.#rate === base) return;
    const t = this.#timeouts;
    this.stepDowns++;
    try {
      if (options.askHub) await this.#client.request({ kind: 'SET_BAUD', baudRate: base }, 'BAUD', { timeoutMs: t.requestTimeoutMs, retries: 1, signal });
    } catch (err) {
      if (!isFlashdError(err, 'HUB_TIMEOUT') && !isFlashdError(err, 'HUB_ERROR')) throw err;
    }
    await this.#setOurs(base, signal);
    const identify = () => this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal });
    try {
      await identify();
    } catch (err) {
      if (!isFlashdError(err, 'HUB_TIMEOUT')) throw err;
      await pause(BAUD_IDLE_REVERT_MS, signal);
      await identify();
    }
  }

  /** The hub rebooted (after ACTIVATE): it runs at its default rate again, so our end follows. */
  async hubRebooted(): Promise<void> {
    if (this.#rate === this.#policy.baseBaudRate) return;
    await this.#link.setBaudRate(this.#policy.baseBaudRate);
    this.#rate = this.#policy.baseBaudRate;
  }

  /**
   * Best effort at session end: leave hub and line at the base rate for the next session. Without
   * `askHub` (the hub was pulled or lost power, and comes back at its base rate by itself) only our
   * end of the line changes.
   */
  async restore(options: { askHub: boolean } = { askHub: true }): Promise<void> {
    const base = this.#policy.baseBaudRate;
    if (this.#rate === base || this.#link.closedReason !== undefined) return;
    try {
      if (options.askHub) await this.#client.request({ kind: 'SET_BAUD', baudRate: base }, 'BAUD', { timeoutMs: this.#timeouts.requestTimeoutMs, retries: 0 });
    } catch {
      // The hub falls back by itself after BAUD_IDLE_REVERT_MS of silence.
    }
    this.#rate = base;
    await this.#link.setBaudRate(base).catch(() => undefined);
  }

  async #switchTo(rate: number, signal: AbortSignal | undefined): Promise<boolean> {
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
    await this.#setOurs(rate, signal);
    try {
      await this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries: 1, signal });
      return true;
    } catch (err) {
      if (!isFlashdError(err, 'HUB_TIMEOUT')) throw err;
    }
    // The new rate does not carry: the hub will go back to its base rate when it hears nothing
    // valid for a while, so go there, wait for it, and prove it is there.
    this.#failed.add(rate);
    const base = this.#policy.baseBaudRate;
    await this.#link.setBaudRate(base);
    this.#rate = base;
    await pause(BAUD_IDLE_REVERT_MS, signal);
    try {
      await this.#client.request({ kind: 'IDENTIFY' }, 'IDENTITY', { timeoutMs: t.requestTimeoutMs, retries: t.requestRetries, signal });
    } catch (err) {
      throw new FlashdError('HUB_TIMEOUT', `hub silent at ${rate} and at ${base} baud after a rate change`, { cause: err, details: { to: rate, base } });
    }
    return false;
  }

  /** Our end only (the hub is believed to be there already), then the settle pause. */
  async #setOurs(rate: number, signal: AbortSignal | undefined): Promise<void> {
    await this.#link.setBaudRate(rate);
    this.#rate = rate;
    await pause(BAUD_SETTLE_MS, signal);
  }
}
