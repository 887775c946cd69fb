import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { FlashdError, toErrorRecord, type ErrorRecord } from '../domain/errors.js';
import { lowerThreadPriority } from '../session/thread-priority.js';
import type { Db } from './open-database.js';
import { REPORT_BUSY_TIMEOUT_MS, isReportName, reportsOn, type ReportName } from './report-reads.js';

/** What the report thread is started with. */
export interface ReportWorkerData {
  /** The store file; opened read-only beside the daemon's own connection (WAL: neither blocks the other). */
  path: string;
  /** Nice steps this thread runs below the main thread (sessions.threadNice). */
  threadNice: number;
}

/** A read to answer, or the end: the thread closes its connection between reads and exits. */
export type ReportRequest = { t: 'read'; id: number; name: ReportName; args: unknown[] } | { t: 'close' };

export type ReportReply = { id: number; value: unknown } | { id: number; error: ErrorRecord };

const data = workerData as ReportWorkerData;
// The main thread moves every slot's bytes: a year's report waits for the CPU, not the slots.
lowerThreadPriority(data.threadNice);
const db = openReadOnly(data.path);
const run = reportsOn(db);

parentPort!.on('message', (request: ReportRequest) => {
  if (request.t === 'close') {
    // A SQLite call cannot be interrupted, and a thread terminated inside one can take the process
    // with it: the thread ends here, between reads, instead.
    db.close();
    parentPort!.close();
    return;
  }
  parentPort!.postMessage(answer(request) satisfies ReportReply);
});

function answer({ id, name, args }: Extract<ReportRequest, { t: 'read' }>): ReportReply {
  try {
    if (!isReportName(name)) throw new FlashdError('INTERNAL', `no report read is called ${String(name)}`);
    return { id, value: run(name, args) };
  } catch (err) {
    return { id, error: toErrorRecord(err) };
  }
}

function openReadOnly(path: string): Db {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${REPORT_BUSY_TIMEOUT_MS}`);
    return db;
  } catch (err) {
    // The thread ends with this; its reads fail naming it.
    throw new Error(`cannot open the store ${path} to read: ${(err as Error).message}`, { cause: err });
  }
}
