import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { SessionResult, SessionTask } from '../session/session-types.js';
import type { SessionWorkerData } from '../session/worker.js';

export interface SessionPoolOptions {
  maxThreads: number;
  /** Sessions wait on their links most of the time, so one thread serves several at once. */
  concurrentTasksPerThread: number;
  /** Slots on the bench: the threads take at least this many sessions at once between them. */
  slots: number;
  /** Nice steps the session threads run below the main thread (Linux); 0: the same priority. */
  threadNice: number;
  unlockKeys: ReadonlyMap<string, Uint8Array>;
}

/**
 * The piscina pool hub sessions run in. Unlock keys go to each thread once, as workerData, not
 * with every task. Running from TypeScript sources (tests, tsx) the worker is loaded through tsx.
 */
export class SessionPool {
  readonly #pool: Piscina;
  readonly #keyed: ReadonlySet<string>;
  #closing: Promise<void> | undefined;

  constructor(options: SessionPoolOptions) {
    const here = fileURLToPath(import.meta.url);
    const ext = extname(here);
    const filename = fileURLToPath(new URL(`../session/worker${ext}`, import.meta.url));
    const workerData: SessionWorkerData = { unlockKeys: Object.fromEntries(options.unlockKeys), threadNice: options.threadNice };
    this.#keyed = new Set(options.unlockKeys.keys());
    this.#pool = new Piscina({
      filename,
      maxThreads: Math.max(1, options.maxThreads),
      minThreads: Math.min(options.maxThreads, Math.max(1, Math.min(2, availableParallelism()))),
      concurrentTasksPerWorker: sessionsPerThread(options),
      idleTimeout: 60_000,
      workerData,
      execArgv: ext === '.ts' ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
    });
  }

  /** Sessions the threads run at once between them (more wait in the pool's queue). */
  get capacity(): number {
    return this.#pool.options.maxThreads * this.#pool.options.concurrentTasksPerWorker;
  }

  /** Whether the sessions hold an unlock key for this manufacturer; without one a hub is refused before unlock. */
  readonly hasUnlockKey = (manufacturer: string): boolean => this.#keyed.has(manufacturer);

  get threads(): number {
    return this.#pool.threads.length;
  }

  /**
   * Runs one session; the two ports move to the worker. No abort signal is passed: piscina runs an
   * abortable task alone on its thread (and aborting kills the thread), which would cap the bench
   * at one session per thread. Sessions stop cooperatively; {@link close} is the last resort.
   */
  run(task: SessionTask): Promise<SessionResult> {
    const transferList: MessagePort[] = [task.bytePort, task.controlPort];
    return this.#pool.run(task, { transferList }) as Promise<SessionResult>;
  }

  /** Terminates the threads (and any session still in them). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.destroy();
    return this.#closing;
  }
}

/**
 * Sessions one thread takes at once: as configured, or more if the threads would otherwise take
 * fewer sessions than the bench has slots. A session waiting in the pool's queue is a seated hub
 * that nothing happens to (it shows IDENTIFYING and no timer of its runs), so the bench's size wins.
 */
export function sessionsPerThread(options: Pick<SessionPoolOptions, 'maxThreads' | 'concurrentTasksPerThread' | 'slots'>): number {
  return Math.max(options.concurrentTasksPerThread, Math.ceil(options.slots / Math.max(1, options.maxThreads)));
}
