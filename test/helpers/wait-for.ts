/** How long to poll and how often. Generous defaults: CI hosts are slow and shared. */
export interface WaitForOptions {
  /** Give up after this long; default 20,000 ms. */
  timeoutMs?: number;
  /** Pause between probes; default 20 ms. */
  intervalMs?: number;
}

type Probe<T> = () => T | undefined | false | Promise<T | undefined | false>;

/**
 * Polls `probe` until it returns something other than `undefined` or `false`, and returns that.
 * A probe that throws counts as "not yet". After `timeoutMs` it throws an error naming `what` was
 * awaited (and the probe's last error), so a failing test says what never happened.
 */
export async function waitFor<T>(what: string, probe: Probe<T>, options: WaitForOptions = {}): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Retries an assertion until it passes; after `timeoutMs` its last failure is thrown as is. */
export async function eventually(check: () => void | Promise<void>, options: WaitForOptions = {}): Promise<void> {
  const { timeoutMs = 20_000, intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
