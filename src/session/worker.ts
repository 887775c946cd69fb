import Piscina from 'piscina';
import { PortLink } from '../link/port-link.js';
import { runHubSession } from './hub-session.js';
import { SessionControl } from './session-control.js';
import { lowerThreadPriority } from './thread-priority.js';
import type { SessionResult, SessionTask } from './session-types.js';

/** Data every session worker gets once, at thread start (not per task). */
export interface SessionWorkerData {
  /** Manufacturer master keys (4-hex code → key bytes). */
  unlockKeys: Record<string, Uint8Array>;
  /** Nice steps this thread runs below the main thread (sessions.threadNice). */
  threadNice: number;
}

const workerData = (Piscina.workerData ?? { unlockKeys: {}, threadNice: 0 }) as SessionWorkerData;
const unlockKeys = new Map(Object.entries(workerData.unlockKeys));
// The main thread moves every slot's bytes and answers the API: when the CPU is short it runs
// first, and a session waits its turn instead of every line and the dashboard waiting for it.
lowerThreadPriority(workerData.threadNice);

/** Piscina task: one hub session over the ports the bench transferred in. */
export default async function runSessionTask(task: SessionTask): Promise<SessionResult> {
  return runHubSession({
    link: new PortLink(task.bytePort),
    control: new SessionControl(task.controlPort),
    unlockKeys,
    timeouts: task.timeouts,
    transfer: task.transfer,
    baud: { ...task.baud, baseBaudRate: task.baudRate },
  });
}
