import { readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FlashdError } from '../domain/errors.js';
import type { Db } from './open-database.js';
import { REPORT_BUSY_TIMEOUT_MS, reportsOn, type ReportArgs, type ReportName, type ReportValue } from './report-reads.js';
import type { ReportReply, ReportRequest, ReportWorkerData } from './report-worker.js';

/** Runs the back-office's long reads (report-reads.ts); each answer shows only commits already on disk. */
export interface ReportReader {
  read<N extends ReportName>(name: N, ...args: ReportArgs<N>): Promise<ReportValue<N>>;
  /** Ends the reader's thread, if it has one; reads asked after fail with STORE_READ_FAILED. */
  close(): Promise<void>;
}

/**
 * Reads on the daemon's own connection, on the main thread: for a store in memory (no second
 * connection can see it) and for test apps. A read blocks the event loop for as long as it runs.
 */
export function inlineReports(db: Db): ReportReader {
  const run = reportsOn(db);
  return {
    read<N extends ReportName>(name: N, ...args: ReportArgs<N>): Promise<ReportValue<N>> {
      return new Promise((resolve) => resolve(run(name, args) as ReportValue<N>));
    },
    close: () => Promise.resolve(),
  };
}

export interface ReportThreadOptions {
  /** The store file the daemon writes. */
  path: string;
  /** Nice steps the thread runs below the main thread; default 0. */
  threadNice?: number | undefined;
  /** Settles once every commit made so far is on disk (store/wal-durability.ts); default: at once. */
  synced?: (() => Promise<void>) | undefined;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * The long reads in a thread of their own, over a read-only connection of their own: a year of
 * charges or of batch failures takes the SQLite time on that thread (0.2–1.6 s on a year-old
 * store), not on the main thread that moves every slot's bytes. In WAL mode the daemon's commits
 * go on meanwhile; each read sees the store as of one commit. The thread starts with the first
 * read and stays; if it dies, the reads it held fail with STORE_READ_FAILED and the next read
 * starts a new one.
 *
 * The reader's connection sees a session's commit as soon as it is made, before its fsync
 * (wal-durability.ts): an answer is given only once every commit made before it came back is on
 * disk, as the API's own reads wait for (api/app.ts).
 */
export class ReportThread implements ReportReader {
  readonly #o: ReportThreadOptions;
  #thread: ReaderThread | undefined;
  #nextId = 1;
  #closed = false;

  constructor(options: ReportThreadOptions) {
    this.#o = options;
  }

  async read<N extends ReportName>(name: N, ...args: ReportArgs<N>): Promise<ReportValue<N>> {
    if (this.#closed) throw new FlashdError('STORE_READ_FAILED', `the report ${name} cannot be read: flashd is stopping`);
    const thread = this.#thread ?? this.#start();
    const id = this.#nextId++;
    const value = await new Promise<unknown>((resolve, reject) => {
      // Posted first: arguments that cannot be copied reject here and leave nothing pending.
      thread.worker.postMessage({ t: 'read', id, name, args } satisfies ReportRequest);
      thread.pending.set(id, { resolve, reject });
    });
    // Everything the thread saw was committed before its answer came back: all of it synced now.
    await this.#o.synced?.().catch(() => undefined);
    return value as ReportValue<N>;
  }

  /**
   * Fails the reads not answered yet and ends the thread between reads: a read inside SQLite
   * finishes first (at most its query or {@link REPORT_BUSY_TIMEOUT_MS}), since a thread terminated
   * inside a SQLite call can abort the whole process. Terminated only if it has not ended in
   * {@link CLOSE_GRACE_MS}.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread) await end(thread, 'flashd is stopping');
  }

  #start(): ReaderThread {
    const ext = extname(fileURLToPath(import.meta.url));
    const entry = new URL(`./report-worker${ext}`, import.meta.url);
    const workerData: ReportWorkerData = { path: this.#o.path, threadNice: this.#o.threadNice ?? 0 };
    const worker = ext === '.ts' ? fromTypeScript(entry, workerData) : new Worker(entry, { workerData });
    // Idle between reads; never what keeps flashd running.
    worker.unref();
    const thread: ReaderThread = { worker, pending: new Map(), exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
    worker.on('message', (reply: ReportReply) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if ('error' in reply) pending?.reject(new FlashdError(reply.error.code, reply.error.message, { details: reply.error.details }));
      else pending?.resolve(reply.value);
    });
    // Only this thread's reads fail with it; the next read starts another.
    const lost = (why: string): void => {
      if (this.#thread === thread) this.#thread = undefined;
      fail(thread, `its thread ${why}`);
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    worker.on('messageerror', (err) => {
      // A reply that cannot be read back: which read it answered is unknown, so none of them is awaited.
      lost(`sent a reply that could not be read: ${err.message}`);
      void end(thread, 'its thread sent a reply that could not be read');
    });
    this.#thread = thread;
    return thread;
  }
}

/** How long {@link ReportThread.close} waits for a read in progress before it terminates the thread. */
export const CLOSE_GRACE_MS = REPORT_BUSY_TIMEOUT_MS + 8000;

/** A report thread, the reads it has not answered yet, and its end. */
interface ReaderThread {
  worker: Worker;
  pending: Map<number, Pending>;
  exited: Promise<void>;
}

function fail(thread: ReaderThread, why: string): void {
  const err = new FlashdError('STORE_READ_FAILED', `the report could not be read: ${why}`);
  for (const pending of thread.pending.values()) pending.reject(err);
  thread.pending.clear();
}

async function end(thread: ReaderThread, why: string): Promise<void> {
  fail(thread, why);
  try {
    thread.worker.postMessage({ t: 'close' } satisfies ReportRequest);
  } catch {
    // Already gone.
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS)));
  if ((await Promise.race([thread.exited, late])) === 'late') await thread.worker.terminate();
  clearTimeout(timer);
}

/**
 * From TypeScript sources (tests, tsx) the entry is imported once tsx's loader is in place in the
 * thread; tsx is found from this file, wherever flashd was started from.
 */
function fromTypeScript(entry: URL, workerData: ReportWorkerData): Worker {
  // The ESM build of tsx's API (a resolve from here would give its CommonJS one).
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const tsx = pathToFileURL(join(dirname(manifest), exports['./esm/api']!.import.default)).href;
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData });
}
