import { createRequire } from 'node:module';
import { join } from 'node:path';

interface BoundSocket {
  on(event: 'message', listener: (buf: Buffer) => void): unknown;
  bind(path: string): void;
  close(): void;
}

/** One datagram as the fake service manager received it, with when it arrived (ms, performance.now()). */
export interface Notification {
  at: number;
  fields: Record<string, string>;
}

/**
 * A fake systemd notification socket: a bound unix datagram socket at `dir/notify`, recording every
 * message (sd_notify's `KEY=value` lines) with its arrival time.
 */
export class FakeNotifySocket {
  readonly path: string;
  readonly received: Notification[] = [];
  readonly #socket: BoundSocket;
  #waiters: Array<() => void> = [];

  constructor(dir: string) {
    this.path = join(dir, 'notify');
    const unix = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: 'unix_dgram'): BoundSocket };
    this.#socket = unix.createSocket('unix_dgram');
    this.#socket.on('message', (buf) => {
      const fields = Object.fromEntries(
        buf
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      this.received.push({ at: performance.now(), fields });
      for (const w of this.#waiters) w();
    });
    this.#socket.bind(this.path);
  }

  /** Resolves with the first notification (from `from` on) that `match` accepts; rejects after `timeoutMs`. */
  waitFor(match: (n: Notification) => boolean, timeoutMs: number, from = 0): Promise<Notification> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.received.slice(from).find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(found);
        return true;
      };
      const waiter = (): void => void check();
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching notification in ${timeoutMs} ms; got ${JSON.stringify(this.received.map((n) => n.fields))}`));
      }, timeoutMs);
      if (!check()) this.#waiters.push(waiter);
    });
  }

  close(): void {
    this.#socket.close();
  }
}
