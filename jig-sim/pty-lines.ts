import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FlashdError } from '../src/domain/errors.js';
import type { SimLine } from './sim-line.js';

/** How long socat may take to create a PTY and its link. */
const PTY_READY_TIMEOUT_MS = 5000;

interface PtyLine {
  path: string;
  server: Server;
  process: ChildProcess | undefined;
}

/**
 * Real PTYs for simulated lines, through socat. Per line: a private TCP listener on 127.0.0.1
 * attaches the line's host end, and `socat pty,raw,echo=0,link=<dir>/<name>,wait-slave
 * tcp:127.0.0.1:<port>` gives a PTY whose slave the daemon opens with its serialport code, like a
 * USB adapter's /dev/ttyUSB. `wait-slave` holds the TCP connection until the daemon opens the
 * PTY (socat polls about once a second), so the line sees a host attach exactly when a real port
 * opens; when the daemon closes it, socat exits and is started again, as a re-plugged adapter.
 */
export class PtyLines {
  readonly #dir: string;
  readonly #lines: PtyLine[] = [];
  #closed = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Creates the PTY for a line; resolves with the path the daemon opens. */
  async open(line: SimLine, name: string): Promise<string> {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new RangeError(`PTY name "${name}" must be [A-Za-z0-9._-]`);
    await mkdir(this.#dir, { recursive: true });
    const server = createServer({ noDelay: true }, (socket) => line.attachHost(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const entry: PtyLine = { path: join(this.#dir, `${name}-host`), server, process: undefined };
    this.#lines.push(entry);
    await this.#spawn(entry);
    return entry.path;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#lines.splice(0).map(async (entry) => {
        const child = entry.process;
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await exited;
        }
        await new Promise<void>((resolve) => entry.server.close(() => resolve()));
      }),
    );
  }

  async #spawn(entry: PtyLine): Promise<void> {
    const address = entry.server.address();
    if (!address || typeof address === 'string') throw new Error('PTY relay has no TCP port');
    const child = spawn('socat', [`pty,raw,echo=0,link=${entry.path},wait-slave`, `tcp:127.0.0.1:${address.port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    entry.process = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    let exitedEarly: ((code: number | null) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (err) =>
        reject(new FlashdError('SIM_PTY_FAILED', `cannot run socat for ${entry.path}: ${err.message} (install the Debian package "socat")`, { cause: err })),
      );
      exitedEarly = (code) => reject(new FlashdError('SIM_PTY_FAILED', `socat for ${entry.path} exited with ${code}: ${stderr.trim()}`));
      child.once('exit', exitedEarly);
    });
    failed.catch(() => undefined);
    await Promise.race([this.#linkReady(entry.path), failed]);
    // Only our own listener: close() may have started waiting for this child's exit meanwhile.
    child.off('exit', exitedEarly!);
    child.once('exit', () => {
      // The daemon closed the port (or the line dropped its host): plug the adapter back in.
      if (!this.#closed) void delay(20).then(() => (this.#closed ? undefined : this.#spawn(entry).catch(() => undefined)));
    });
  }

  async #linkReady(path: string): Promise<void> {
    const deadline = performance.now() + PTY_READY_TIMEOUT_MS;
    for (;;) {
      try {
        await lstat(path);
        return;
      } catch {
        if (performance.now() > deadline) throw new FlashdError('SIM_PTY_FAILED', `socat did not create ${path} within ${PTY_READY_TIMEOUT_MS} ms`);
        await delay(5);
      }
    }
  }
}
