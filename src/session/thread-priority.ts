import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the calling thread's CPU priority by `increment` nice steps (at most to 19) and returns
 * the nice value it now has. Linux keeps a nice value per thread and `setpriority(PRIO_PROCESS, 0)`
 * names the calling thread only; elsewhere it would lower the whole process, so nothing changes
 * there (undefined). Lowering needs no privilege; a sandbox that forbids it anyway leaves the
 * thread as it was (undefined), and the sessions run at the daemon's priority.
 */
export function lowerThreadPriority(increment: number, platform: NodeJS.Platform = process.platform): number | undefined {
  if (increment <= 0 || platform !== 'linux') return undefined;
  try {
    const nice = Math.min(19, getPriority(0) + increment);
    setPriority(0, nice);
    return nice;
  } catch {
    return undefined;
  }
}
