import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceModelDefinition } from '../../../firmware-images/models.js';
import { generateStock, type HubTimingProfile } from '../../../jig-sim/index.js';
import type { SessionResult } from '../../../src/session/session-types.js';
import { LoadProbe } from '../metrics.js';
import { buildPerfCatalog, type PerfCatalog } from '../perf-catalog.js';
import { PerfDaemon } from '../perf-daemon.js';
import { SimProcess, type LineNoise, type LineTiming } from '../sim-protocol.js';

export interface LinkRunOptions {
  /** One image body per model; the stock is drawn from these models. */
  bodies: ReadonlyMap<DeviceModelDefinition, Buffer>;
  jigs: number;
  timing: LineTiming;
  noise?: LineNoise;
  profile: Partial<HubTimingProfile>;
  /** Daemon config overrides. */
  config?: Record<string, unknown>;
  /** Called while transfers run, with the simulator (to cut a link, read hub state). */
  during?: (sim: SimProcess, daemon: PerfDaemon) => Promise<void>;
  /** How many sessions to wait for; default one per slot. */
  sessions?: number;
  /** Measure a raw paced line at this rate first (the physical limit as this machine delivers it now). */
  measureLineAt?: number;
}

export interface LinkRun {
  results: Array<{ jig: string; slot: number; result: SessionResult }>;
  catalog: PerfCatalog;
  /** Main-thread lag and peak RSS while every slot was transferring at once. */
  load: { lagP99Ms: number; lagMaxMs: number; rawP99Ms: number; peakRssMb: number; concurrent: number };
  /** Raw bytes/s one paced line carried just before the run, if asked for. */
  lineBytesPerSecond?: number;
}

/**
 * One slot per hub, every slot flashing at once over paced lines: the daemon connects over TCP to
 * a simulator in its own process, switches each line to its best rate, and sends the image.
 * Load is sampled only while every transfer runs at the same time.
 */
export async function runLinkScenario(o: LinkRunOptions): Promise<LinkRun> {
  const slots = o.jigs * 8;
  const models = new Set([...o.bodies.keys()].map((m) => m.model));
  const stock = generateStock({ seed: 'perf-link', count: slots * 8 })
    .filter((s) => models.has(s.model))
    .slice(0, slots);
  const catalog = buildPerfCatalog(o.bodies);
  const sim = new SimProcess();
  let daemon: PerfDaemon | undefined;
  try {
    const measured = o.measureLineAt ? await sim.rawLineRate({ ...o.timing, baudRate: o.measureLineAt }, 2) : undefined;
    const jigs = await sim.start({ jigs: o.jigs, profile: o.profile, stock, timing: o.timing, ...(o.noise ? { noise: o.noise } : {}) });
    daemon = new PerfDaemon({ catalogDir: catalog.dir, trustedKeyFile: catalog.trustedKeyFile, jigs, stock, ...(o.config ? { config: o.config } : {}) });
    const results: LinkRun['results'] = [];
    const probe = new LoadProbe();
    await daemon.start((event) => results.push({ jig: event.jig, slot: event.slot, result: event.result }));
    const d = daemon;
    const sampled = (async () => {
      let concurrent = 0;
      while (results.length === 0) {
        const transferring = d.bench.slots().filter((v) => v.phase === 'TRANSFERRING').length;
        if (transferring === slots && concurrent < slots) probe.reset();
        if (transferring === slots) concurrent = slots;
        await sleep(20);
      }
      return { ...probe.stop(), concurrent };
    })();
    await o.during?.(sim, daemon);
    const wanted = o.sessions ?? slots;
    while (results.length < wanted) await sleep(50);
    return { results, catalog, load: await sampled, ...(measured ? { lineBytesPerSecond: measured } : {}) };
  } finally {
    await daemon?.stop();
    await sim.close();
  }
}

/** Bytes a line carries per second at `baudRate` (8N1: ten bit times per byte). */
export const lineBytesPerSecond = (baudRate: number): number => baudRate / 10;
