import type { MessagePort } from 'node:worker_threads';
import { FlashdError } from '../domain/errors.js';
import type { DurableFact, SessionCommand, SessionDecision, SessionEvent } from './session-types.js';

/**
 * The session's side of its control port: events out, the bench's decision and cancel in.
 * Cancel is cooperative: it aborts `signal`, and the session stops at its next safe point.
 */
export class SessionControl {
  readonly #port: MessagePort;
  readonly #abort = new AbortController();
  readonly #gone = new AbortController();
  #decision: ((decision: SessionDecision) => void) | undefined;
  readonly #persisting = new Map<number, (error: Error | undefined) => void>();
  #seq = 0;

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', this.#onMessage);
  }

  /** Aborts on the first stop request of any kind. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Aborts when the hub is pulled or its slot loses power, even after another stop came first
   * (a shutdown): the one stop a committed session still obeys, since nobody can answer it then.
   */
  get goneSignal(): AbortSignal {
    return this.#gone.signal;
  }

  emit(event: SessionEvent): void {
    this.#port.postMessage(event);
  }

  /** Posts the identity and waits for the bench to say flash or finish. */
  async decide(event: Extract<SessionEvent, { t: 'identified' }>, timeoutMs: number): Promise<SessionDecision> {
    const decided = new Promise<SessionDecision>((resolve) => (this.#decision = resolve));
    this.emit(event);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FlashdError('INTERNAL', `bench gave no decision within ${timeoutMs} ms`)), timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => {
      if (this.signal.aborted) reject(this.signal.reason as Error);
      this.signal.addEventListener('abort', () => reject(this.signal.reason as Error), { once: true });
    });
    try {
      return await Promise.race([decided, timeout, aborted]);
    } finally {
      clearTimeout(timer);
      this.#decision = undefined;
    }
  }

  /**
   * Posts a fact and waits until the bench says it is on disk. Rejects with STORE_WRITE_FAILED when
   * the bench could not store it or did not answer within `timeoutMs`: the step that rests on the
   * fact must then not be taken. Not cancellable by a stop request (the wait is short and bounded);
   * the caller checks its signal after.
   */
  async persist(fact: DurableFact, timeoutMs: number): Promise<void> {
    const seq = ++this.#seq;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#persisting.set(seq, (error) => (error ? reject(error) : resolve()));
        timer = setTimeout(() => reject(new FlashdError('STORE_WRITE_FAILED', `bench did not confirm the "${fact.t}" fact within ${timeoutMs} ms`)), timeoutMs);
        this.emit({ t: 'durable', seq, fact });
      });
    } finally {
      clearTimeout(timer);
      this.#persisting.delete(seq);
    }
  }

  close(): void {
    this.#port.off('message', this.#onMessage);
    this.#port.close();
  }

  readonly #onMessage = (command: SessionCommand): void => {
    if (command.t === 'decision') {
      this.#decision?.(command.decision);
      return;
    }
    if (command.t === 'persisted') {
      const error = command.error && new FlashdError('STORE_WRITE_FAILED', command.error.message, { details: { code: command.error.code } });
      this.#persisting.get(command.seq)?.(error);
      return;
    }
    const code = command.code ?? 'SESSION_INTERRUPTED';
    const reason = new FlashdError(code, `session stopped: ${command.reason}`, { details: { reason: command.reason } });
    if (!this.#abort.signal.aborted) this.#abort.abort(reason);
    if ((code === 'HUB_REMOVED' || code === 'SLOT_POWER_FAULT') && !this.#gone.signal.aborted) this.#gone.abort(reason);
  };
}
