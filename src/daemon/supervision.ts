import type { Logger } from 'pino';
import { openNotifySocket, watchdogIntervalMs, type NotifySink } from './sd-notify.js';

/** What the STATUS line reports; `pendingN3` reads the store, so a failing read is a sick store. */
export interface SupervisedFacts {
  jigs(): Array<{ id: string; connected: boolean }>;
  activeSessions(): number;
  pendingN3(): number;
}

export interface SupervisionOptions {
  sink: NotifySink;
  facts: SupervisedFacts;
  /** `WATCHDOG_USEC` in ms; undefined: no watchdog, STATUS only. */
  watchdogMs?: number | undefined;
  /** How often STATUS is refreshed without a watchdog (default 5000 ms). */
  statusEveryMs?: number;
  log: Logger;
  now?: () => number;
}

/**
 * Tells systemd how the daemon is: READY=1 once, a STATUS= line a person reads in
 * `systemctl status`, WATCHDOG=1 only while the main event loop and the store are healthy.
 *
 * The pings come from a timer on the main event loop (every WatchdogSec/3): a blocked loop sends
 * none, so systemd restarts it. A tick that fires more than WatchdogSec/3 late (the loop is
 * starved), or whose store read throws, sends no ping either; two such ticks in a row outlast
 * WatchdogSec.
 */
export class Supervision {
  readonly #o: SupervisionOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #due = 0;
  #lastStatus = '';
  #sick = false;

  constructor(options: SupervisionOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get periodMs(): number {
    return this.#o.watchdogMs !== undefined ? this.#o.watchdogMs / 3 : (this.#o.statusEveryMs ?? 5000);
  }

  /** READY=1 with the first STATUS, then the timer. Call once the jigs, the store and the API are up. */
  ready(): void {
    if (this.#timer) return;
    const status = this.#status();
    this.#o.sink(`READY=1\nSTATUS=${status ?? 'store unreadable'}`);
    if (status) this.#lastStatus = status;
    this.#arm();
  }

  /** STOPPING=1 and no more pings: the stop may take up to TimeoutStopSec, the watchdog does not judge it. */
  stopping(reason: string): void {
    this.stop();
    this.#o.sink(`STOPPING=1\nSTATUS=stopping (${reason})`);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#due = this.#now() + this.periodMs;
    this.#timer = setTimeout(this.#tick, this.periodMs);
    this.#timer.unref();
  }

  readonly #tick = (): void => {
    const lateMs = this.#now() - this.#due;
    const status = this.#status();
    const lines: string[] = [];
    if (status !== undefined && status !== this.#lastStatus) lines.push(`STATUS=${status}`);
    if (this.#o.watchdogMs !== undefined) {
      const starved = lateMs > this.periodMs;
      if (status !== undefined && !starved) lines.push('WATCHDOG=1');
      else this.#o.log.warn({ lateMs, storeReadable: status !== undefined }, 'watchdog not fed: the event loop is starved or the store cannot be read');
    }
    if (status === undefined && !this.#sick) lines.push('STATUS=store unreadable: watchdog not fed');
    this.#sick = status === undefined;
    // After a sick spell the healthy line is said again: systemctl status still shows the sick one.
    this.#lastStatus = status ?? '';
    if (lines.length > 0) this.#o.sink(lines.join('\n'));
    this.#arm();
  };

  /** The STATUS line, or undefined when the store cannot be read. */
  #status(): string | undefined {
    let pending: number;
    try {
      pending = this.#o.facts.pendingN3();
    } catch (err) {
      this.#o.log.error({ err }, 'store read for the service status failed');
      return undefined;
    }
    const jigs = this.#o.facts.jigs();
    const connected = jigs.filter((j) => j.connected).length;
    const sessions = this.#o.facts.activeSessions();
    return `jigs ${connected}/${jigs.length} connected, ${sessions} session${sessions === 1 ? '' : 's'} running, ${pending} N3 report${pending === 1 ? '' : 's'} pending`;
  }
}

/**
 * Supervision by systemd when it runs flashd as Type=notify (NOTIFY_SOCKET set); undefined
 * otherwise. The socket is closed by `stop()`/`stopping()`'s caller through `close`.
 */
export function superviseBySystemd(
  facts: SupervisedFacts,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): { supervision: Supervision; close: () => void } | undefined {
  const socket = openNotifySocket(env, (err) => log.warn({ err }, 'notification to systemd failed'));
  if (!socket) return undefined;
  const watchdogMs = watchdogIntervalMs(env);
  log.info({ watchdogMs: watchdogMs ?? null }, 'supervised by systemd (Type=notify)');
  return { supervision: new Supervision({ sink: socket.sink, facts, watchdogMs, log }), close: socket.close };
}
