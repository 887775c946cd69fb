import { FlashdError } from './errors.js';

/** The error an aborted operation ends with: `ABORTED`, naming what was cut short and why. */
export function abortError(signal: AbortSignal, what: string): FlashdError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
  return new FlashdError('ABORTED', `${what}: cancelled (${why})`, { cause: reason });
}

/** Throws {@link abortError} when `signal` has already fired; call it before each step of a long operation. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/**
 * Runs `onAbort` when `signal` fires, until the returned function is called (call it in `finally`
 * so no listener outlives the operation, undici `lib/api/abort-signal.js`).
 */
export function onAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (!signal) return () => undefined;
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
