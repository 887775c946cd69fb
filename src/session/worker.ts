import Piscina from 'piscina';
import { PortLink } from '../link/port-link.js';
import { runHubSession } from './hub-session.js';
import { SessionControl } from './session-control.js';
import type { SessionResult, SessionTask } from './session-types.js';

/** Data every session worker gets once, at thread start (not per task). */
export interface SessionWorkerData {
  /** Manufacturer master keys (4-hex code → key bytes). */
  unlockKeys: Record<string, Uint8Array>;
}

const workerData = (Piscina.workerData ?? { unlockKeys: {} }) as SessionWorkerData;
const unlockKeys = new Map(Object.entries(workerData.unlockKeys));

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
