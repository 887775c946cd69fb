import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or ends at once with the stop's own reason (not a bare AbortError) when `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  }
}
