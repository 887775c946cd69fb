import type { ServerResponse } from 'node:http';

export interface SseClientOptions {
  /** Bytes queued for a client that does not read before it is dropped and told to resync. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** A comment line this often keeps proxies and the browser from timing the stream out. Default 15 s. */
  heartbeatMs?: number;
  /** Called once when the client is gone (closed by either side, or dropped). */
  onClose?: () => void;
}

/** An event to frame: its data as JSON already (an event of the log), or as a value. */
export type FrameEvent = { type: string; id?: string } & ({ json: string } | { data: unknown });

/** One frame of the text/event-stream format; `data` is JSON on one line. */
export function sseFrame(event: FrameEvent): string {
  const json = 'json' in event ? event.json : JSON.stringify(event.data);
  return `${event.id === undefined ? '' : `id: ${event.id}\n`}event: ${event.type}\ndata: ${json}\n\n`;
}

/**
 * One connected browser. Writes frames while its socket takes them; once more than
 * `maxBufferedBytes` wait unsent, it is dropped: a last `resync` frame goes after the queue, the
 * response ends, and nothing more is queued, so a stalled client costs the daemon a bounded amount
 * of memory. The browser reconnects and, having missed events, gets a fresh snapshot.
 */
export class SseClient {
  readonly #res: ServerResponse;
  readonly #max: number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onClose: (() => void) | undefined;
  #open = true;

  constructor(res: ServerResponse, options: SseClientOptions = {}) {
    this.#res = res;
    this.#max = options.maxBufferedBytes ?? 1024 * 1024;
    this.#onClose = options.onClose;
    this.#heartbeat = setInterval(() => this.#write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
    res.on('close', () => this.close());
    res.on('error', () => this.close());
  }

  get open(): boolean {
    return this.#open;
  }

  send(event: FrameEvent): void {
    this.#write(sseFrame(event));
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#heartbeat);
    this.#onClose?.();
    if (!this.#res.writableEnded) this.#res.end();
  }

  #write(text: string): void {
    if (!this.#open) return;
    if (this.#res.writableLength > this.#max) {
      this.#res.write(sseFrame({ type: 'resync', data: { reason: 'client too slow: events were dropped; reload the snapshot' } }));
      this.close();
      // A client that never reads would hold its socket (and the queue) until TCP gives up.
      setTimeout(() => this.#res.destroy(), 5000).unref();
      return;
    }
    this.#res.write(text);
  }
}
