import { connect } from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { abortError, onAbort, throwIfAborted } from '../domain/abort.js';
import { FlashdError } from '../domain/errors.js';
import { parseLinkUrl } from './link-url.js';

/** An open serial line, whatever carries it. Owned by the main thread. */
export interface Link {
  readonly url: string;
  readonly stream: Duplex;
  /** Changes the line rate where the transport can (a local UART); a no-op over raw TCP. */
  setBaudRate(baudRate: number): Promise<void>;
  close(): Promise<void>;
}

/** Resolves `sim://` names to a stream end of an in-process simulator line. */
export type InProcessLines = (name: string) => Duplex | undefined;

export interface OpenLinkOptions {
  baudRate: number;
  inProcess?: InProcessLines | undefined;
  connectTimeoutMs?: number;
  /** Cancels the open: a connect that hangs (an unreachable ser2net host) ends at once with `ABORTED`. */
  signal?: AbortSignal | undefined;
}

export async function openLink(url: string, options: OpenLinkOptions): Promise<Link> {
  const address = parseLinkUrl(url);
  throwIfAborted(options.signal, `opening ${url}`);
  switch (address.kind) {
    case 'serial':
      return openSerial(url, address.path, options.baudRate, options.signal);
    case 'tcp':
      return openTcp(url, address.host, address.port, options.connectTimeoutMs ?? 5000, options.signal);
    case 'in-process': {
      const stream = options.inProcess?.(address.name);
      if (!stream) throw new FlashdError('LINK_OPEN_FAILED', `no in-process simulator line named "${address.name}"`, { details: { url } });
      return streamLink(url, stream, async () => {});
    }
  }
}

async function openSerial(url: string, path: string, baudRate: number, signal: AbortSignal | undefined): Promise<Link> {
  // Loaded on first use: worker threads import this folder for framing and must never load the
  // native serial binding (node-serialport #2748, #2974).
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err ? reject(new FlashdError('LINK_OPEN_FAILED', `cannot open ${path}: ${err.message}`, { cause: err, details: { url } })) : resolve(),
    ),
  );
  // SerialPort has no _destroy: destroy() alone would leave the fd (and its exclusive lock) open,
  // so the next open of the same device fails with "Cannot lock port". Close the binding first.
  const release = (): Promise<void> => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
  // A local open is quick and cannot be interrupted; one that finished after the abort is let go.
  if (signal?.aborted) {
    await release();
    throw abortError(signal, `opening ${url}`);
  }
  return streamLink(
    url,
    port,
    (rate) => new Promise<void>((resolve, reject) => port.update({ baudRate: rate }, (err) => (err ? reject(err) : resolve()))),
    release,
  );
}

async function openTcp(url: string, host: string, port: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<Link> {
  const socket = connect({ host, port, noDelay: true });
  const timer = setTimeout(() => socket.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
  const forget = onAbort(signal, () => {
    socket.destroy(abortError(signal!, `opening ${url}`));
  });
  try {
    await once(socket, 'connect');
  } catch (err) {
    if (signal?.aborted) throw abortError(signal, `opening ${url}`);
    throw new FlashdError('LINK_OPEN_FAILED', `cannot connect to ${url}: ${(err as Error).message}`, { cause: err, details: { url } });
  } finally {
    clearTimeout(timer);
    forget();
  }
  // Raw TCP (ser2net "raw" mode) carries no line settings; the remote end keeps its own rate.
  return streamLink(url, socket, async () => {});
}

function streamLink(url: string, stream: Duplex, setBaudRate: (rate: number) => Promise<void>, release?: () => Promise<void>): Link {
  return {
    url,
    stream,
    setBaudRate,
    async close() {
      await release?.();
      if (stream.destroyed) return;
      const closed = once(stream, 'close').catch(() => undefined);
      stream.destroy();
      await closed;
    },
  };
}
