import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * With FLASHD_PERF_PROFILE=<file>, records a CPU profile of the main thread over a measurement
 * window only (not set-up), for finding what the main thread spends its time on.
 */
export class WindowProfiler {
  readonly #file = process.env.FLASHD_PERF_PROFILE;
  #session: Session | undefined;

  start(): void {
    if (!this.#file) return;
    this.#session = new Session();
    this.#session.connect();
    this.#session.post('Profiler.enable');
    this.#session.post('Profiler.start');
  }

  async stop(): Promise<void> {
    const session = this.#session;
    const file = this.#file;
    if (!session || !file) return;
    await new Promise<void>((resolve) =>
      session.post('Profiler.stop', (err, result) => {
        if (!err) writeFileSync(file, JSON.stringify(result.profile));
        session.disconnect();
        resolve();
      }),
    );
  }
}
