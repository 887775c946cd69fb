import type { Logger } from 'pino';
import type { OutboxStore } from '../store/outbox-store.js';
import type { OutboxItem } from '../store/outbox-records.js';
import { classify, type Disposition, type N3Transport } from './n3-answer.js';
import { retryDelayMs, type RetryPolicy } from './retry-policy.js';

export interface N3DrainerOptions {
  outbox: Pick<OutboxStore, 'due' | 'nextDueMs' | 'markDelivered' | 'markRetry' | 'markDead'>;
  transport: N3Transport;
  policy: RetryPolicy;
  /** Rows taken per pass. Default 50. */
  batchSize?: number;
  /** Requests in flight at once, each for a different Device ID. Default 4. */
  concurrency?: number;
  /** Longest idle sleep: the safety net if a wake-up is missed. Default 5,000 ms. */
  pollIntervalMs?: number;
  log: Logger;
  /** Settles once every commit so far is on disk: no row is sent before its outcome is (store/wal-durability.ts). */
  synced?: () => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** What one pass did. */
export interface PassReport {
  sent: number;
  delivered: number;
  dead: number;
  retried: number;
  /** The longest Retry-After among the retried answers. */
  retryAfterMs: number | undefined;
}

/**
 * The one drainer of the N3 outbox. Each pass takes up to `batchSize` due rows (at most one per
 * Device ID: the oldest undelivered, see OutboxStore.due), sends them with bounded concurrency and
 * records each answer. A row is marked delivered only after a 2xx acknowledges its key; a crash
 * before that re-sends it, which the Idempotency-Key makes harmless. Per row, a failure sets its
 * next try by the retry policy; when a whole pass fails (the N3 client is down) the drainer also
 * waits, growing, so an outage costs one probe per backoff step, not a storm. New rows wake it only
 * when it is idle, never during such a backoff.
 */
export class N3Drainer {
  readonly #o: Required<Omit<N3DrainerOptions, 'now' | 'random'>>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #failures = 0;
  #woken = false;
  #wakeUp: (() => void) | undefined;

  constructor(options: N3DrainerOptions) {
    this.#o = { batchSize: 50, concurrency: 4, pollIntervalMs: 5000, synced: () => Promise.resolve(), ...options };
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Starts the loop; idempotent. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** A row was queued: send soon, unless backing off from an outage. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /** Stops after aborting requests in flight (their rows stay pending); idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wakeUp?.();
    await this.#loop;
    this.#o.transport.close();
  }

  async #run(): Promise<void> {
    const { signal } = this.#abort;
    while (!signal.aborted) {
      let report: PassReport;
      try {
        report = await this.pass();
      } catch (err) {
        this.#o.log.error({ err }, 'n3 drainer pass failed');
        report = { sent: 0, delivered: 0, dead: 0, retried: 1, retryAfterMs: undefined };
      }
      if (signal.aborted) return;
      if (report.retried > 0 && report.delivered === 0 && report.dead === 0) {
        this.#failures += 1;
        const waitMs = retryDelayMs(this.#o.policy, this.#failures, report.retryAfterMs, this.#random);
        this.#o.log.warn({ failures: this.#failures, retried: report.retried, retryInMs: waitMs }, 'n3 delivery failed; backing off');
        await this.#sleep(waitMs, false);
        continue;
      }
      this.#failures = 0;
      if (report.sent > 0) continue;
      const next = this.#o.outbox.nextDueMs();
      // Always a real sleep, at least 1 ms: an idle loop must never spin the event loop.
      const waitMs = Math.max(1, next === undefined ? this.#o.pollIntervalMs : Math.min(this.#o.pollIntervalMs, next - this.#now()));
      await this.#sleep(waitMs, true);
    }
  }

  /** One pass over the due rows. Public for tests; the loop is the only other caller. */
  async pass(): Promise<PassReport> {
    const items = this.#o.outbox.due(this.#now(), this.#o.batchSize);
    if (items.length > 0) await this.#o.synced();
    const report: PassReport = { sent: items.length, delivered: 0, dead: 0, retried: 0, retryAfterMs: undefined };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length && !this.#abort.signal.aborted) await this.#deliver(items[next++]!, report);
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, items.length) }, worker));
    return report;
  }

  async #deliver(item: OutboxItem, report: PassReport): Promise<void> {
    const answer = await this.#o.transport.send({ idempotencyKey: item.idempotencyKey, body: item.payloadJson }, this.#abort.signal);
    if (this.#abort.signal.aborted) return; // stays pending; re-sent after the restart
    const nowMs = this.#now();
    const at = new Date(nowMs).toISOString();
    const d: Disposition = classify(answer, item.idempotencyKey, this.#o.policy, nowMs);
    const where = { outboxId: item.id, idempotencyKey: item.idempotencyKey, deviceId: item.deviceId };
    switch (d.kind) {
      case 'delivered':
        this.#o.outbox.markDelivered(item.id, at, d.status);
        report.delivered += 1;
        return;
      case 'dead':
        this.#o.outbox.markDead(item.id, { at, status: d.status, code: d.code, message: d.message });
        this.#o.log.error({ ...where, status: d.status, code: d.code, reason: d.message }, 'n3 notification dead-lettered');
        report.dead += 1;
        return;
      case 'retry': {
        const waitMs = retryDelayMs(this.#o.policy, item.attempts + 1, d.retryAfterMs, this.#random);
        this.#o.outbox.markRetry(item.id, { at, status: d.status, code: d.code, message: d.message }, nowMs + waitMs);
        this.#o.log.debug({ ...where, status: d.status, code: d.code, reason: d.message, retryInMs: waitMs }, 'n3 notification not delivered');
        if (d.code === 'N3_REFUSED' || d.code === 'N3_ACK_INVALID')
          this.#o.log.error({ ...where, status: d.status, code: d.code, reason: d.message }, 'n3 client refused the request: check upstream.n3');
        report.retried += 1;
        if (d.retryAfterMs !== undefined) report.retryAfterMs = Math.max(report.retryAfterMs ?? 0, d.retryAfterMs);
      }
    }
  }

  #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (wakeable && this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        this.#abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#abort.signal.addEventListener('abort', done);
      this.#wakeUp = wakeable ? () => ((this.#woken = false), done()) : undefined;
    });
  }
}
