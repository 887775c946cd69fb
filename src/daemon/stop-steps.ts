import type { Logger } from 'pino';

/**
 * What a start created, to be stopped in reverse order: each step guarded (one failing step does
 * not keep the rest running), once only, whoever asks first (a signal, or a refused start).
 */
export class StopSteps {
  readonly #steps: Array<[string, () => Promise<void> | void]> = [];
  readonly #log: Logger;
  #stopped: Promise<void> | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  get stopping(): boolean {
    return this.#stopped !== undefined;
  }

  push(name: string, stop: () => Promise<void> | void): void {
    this.#steps.push([name, stop]);
  }

  run(reason: string): Promise<void> {
    this.#stopped ??= (async () => {
      this.#log.info({ reason }, 'flashd stopping');
      for (const [name, stop] of [...this.#steps].reverse()) {
        try {
          await stop();
        } catch (err) {
          this.#log.error({ err, step: name }, 'shutdown step failed');
        }
      }
      this.#log.info('flashd stopped');
    })();
    return this.#stopped;
  }
}
