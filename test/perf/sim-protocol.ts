import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HubSpec, HubTimingProfile, JigAddresses } from '../../jig-sim/index.js';

/** Line timing as the simulator's paced lines take it. */
export interface LineTiming {
  paced: boolean;
  baudRate: number;
  latencyMs: number;
}

export type SimRequest = { id: number } & (
  | { op: 'start'; jigs: number; profile: Partial<HubTimingProfile>; stock: HubSpec[]; timing?: LineTiming; noise?: LineNoise; byModel?: boolean }
  | { op: 'swap'; jig: string; slot: number; spec: HubSpec }
  | { op: 'drop'; jig: string }
  | { op: 'truth' }
  | { op: 'cpu' }
  | { op: 'raw-line'; timing: LineTiming; seconds: number }
  | { op: 'close' }
);

/** Line noise on every slot line, both directions (jig-sim WireFaultRates). */
export interface LineNoise {
  bitErrorRate?: number;
  dropRate?: number;
}

export type SimResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface SlotTruth {
  jig: string;
  slot: number;
  committedBytes: number;
  sizeBytes: number;
}

type Op<K extends SimRequest['op']> = Omit<Extract<SimRequest, { op: K }>, 'id' | 'op'>;
type AnyOp = { [K in SimRequest['op']]: Omit<Extract<SimRequest, { op: K }>, 'id'> }[SimRequest['op']];

/** The daemon side's handle on the simulator child process (test/perf/sim-host.ts). */
export class SimProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;

  constructor() {
    const here = fileURLToPath(import.meta.url);
    const ext = here.endsWith('.ts') ? '.ts' : '.js';
    this.#child = fork(fileURLToPath(new URL(`./sim-host${ext}`, import.meta.url)), {
      serialization: 'advanced',
      // FLASHD_PERF_SIM_PROFILE=<dir>: a CPU profile of the simulator process, to tell its cost from ours.
      execArgv: [
        ...(ext === '.ts' ? ['--import', 'tsx'] : []),
        ...(process.env.FLASHD_PERF_SIM_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FLASHD_PERF_SIM_PROFILE}`] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (response: SimResponse) => {
      const pending = this.#pending.get(response.id);
      this.#pending.delete(response.id);
      if (response.ok) pending?.resolve(response.result);
      else pending?.reject(new Error(response.error));
    });
  }

  start(request: Op<'start'>): Promise<JigAddresses[]> {
    return this.#ask({ op: 'start', ...request }) as Promise<JigAddresses[]>;
  }

  swap(jig: string, slot: number, spec: HubSpec): Promise<void> {
    return this.#ask({ op: 'swap', jig, slot, spec }) as Promise<void>;
  }

  drop(jig: string): Promise<void> {
    return this.#ask({ op: 'drop', jig }) as Promise<void>;
  }

  truth(): Promise<SlotTruth[]> {
    return this.#ask({ op: 'truth' }) as Promise<SlotTruth[]>;
  }

  /** Bytes per second a paced line carries on this machine now, raw (see sim-host rawLineRate). */
  rawLineRate(timing: LineTiming, seconds: number): Promise<number> {
    return this.#ask({ op: 'raw-line', timing, seconds }) as Promise<number>;
  }

  /** CPU time the simulator process has used, µs (user + system). */
  async cpuMicros(): Promise<number> {
    return (await this.#ask({ op: 'cpu' })) as number;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await this.#ask({ op: 'close' }).catch(() => undefined);
    await exited;
  }

  #ask(request: AnyOp): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ ...request, id });
    });
  }
}
