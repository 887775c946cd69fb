import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { AdapterWatch, describeAdapter } from '../jig/adapter-watch.js';
import { listAdapters, type AdapterView } from '../jig/adapters.js';
import type { BenchEventBus } from '../live/bench-event-bus.js';

/**
 * The adapter listing for the API, and the watch that raises UNKNOWN_ADAPTER. The watch runs on a
 * bench whose jigs are serial devices, or that has no jigs yet (a fresh install, jigs to be
 * found); not with the simulator, nor when every jig is reached over TCP.
 */
export function watchAdapters(
  config: Readonly<Config>,
  events: BenchEventBus,
  log: Logger,
): { list: () => Promise<AdapterView[]>; watch: AdapterWatch | undefined } {
  const list = (): Promise<AdapterView[]> => listAdapters(config.jigs);
  const serialBench =
    !config.simulator.enabled && (config.jigs.length === 0 || config.jigs.some((j) => j.control.startsWith('/') || j.slots.some((s) => s.startsWith('/'))));
  if (!serialBench) return { list, watch: undefined };
  const watch = new AdapterWatch({ jigs: config.jigs, log });
  watch.on('unknown', (adapters) => events.setUnknownAdapters(adapters.map(describeAdapter)));
  return { list, watch };
}
