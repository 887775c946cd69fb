import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionPool } from '../../src/bench/session-pool.js';
import { lowerThreadPriority } from '../../src/session/thread-priority.js';

/** Nice value of every thread of this process, by thread id, from /proc (field 19 of each task's stat). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nices;
}

async function threadsAt(nice: number, count: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  let found = 0;
  while (Date.now() < deadline) {
    found = [...threadNices().values()].filter((n) => n === nice).length;
    if (found >= count) return found;
    await sleep(50);
  }
  return found;
}

describe.runIf(process.platform === 'linux')('session threads run below the main thread (Linux)', () => {
  let pool: SessionPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('lowers each session thread by threadNice and leaves the main thread and the process as they were', async () => {
    const mainNice = getPriority(0);
    const before = threadNices();
    expect(mainNice).toBeLessThan(19 - 7);
    pool = new SessionPool({ maxThreads: 2, concurrentTasksPerThread: 4, slots: 8, threadNice: 7, unlockKeys: new Map() });
    expect(await threadsAt(mainNice + 7, 2)).toBe(2);
    expect(pool.threads).toBe(2);
    // This thread, and every thread that was here before the pool, keep their priority.
    expect(getPriority(0)).toBe(mainNice);
    const after = threadNices();
    for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid)).toBe(nice);
  });

  it('leaves every thread at the daemon priority with threadNice 0', async () => {
    const mainNice = getPriority(0);
    const before = new Set(threadNices().keys());
    pool = new SessionPool({ maxThreads: 2, concurrentTasksPerThread: 4, slots: 8, threadNice: 0, unlockKeys: new Map() });
    // The threads this pool started (and whatever they started) once both are up and loaded.
    const deadline = Date.now() + 15_000;
    while (pool.threads < 2 && Date.now() < deadline) await sleep(50);
    await sleep(500);
    const added = [...threadNices()].filter(([tid]) => !before.has(tid));
    expect(added.length).toBeGreaterThanOrEqual(2);
    expect(added.filter(([, nice]) => nice !== mainNice)).toEqual([]);
  });
});

describe('lowerThreadPriority', () => {
  it('changes nothing where a nice value is per process, not per thread, or when asked for no step', () => {
    const nice = getPriority(0);
    expect(lowerThreadPriority(5, 'darwin')).toBeUndefined();
    expect(lowerThreadPriority(5, 'win32')).toBeUndefined();
    expect(lowerThreadPriority(0, 'linux')).toBeUndefined();
    expect(getPriority(0)).toBe(nice);
  });
});
