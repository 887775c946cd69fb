import { DEFAULT_HUB_PROFILE, Simulator, type HubTimingProfile } from '../../jig-sim/index.js';
import type { SimRequest, SimResponse, SlotTruth } from './sim-protocol.js';

/**
 * The simulated bench for the benchmark, in its own process: its hubs, lines and pacing timers do
 * not run on the daemon's event loop (whose lag is one of the measured figures), and its memory is
 * not counted in the daemon's RSS. The daemon reaches it over TCP, as it would a ser2net jig.
 */
let simulator: Simulator | undefined;

async function handle(request: SimRequest): Promise<unknown> {
  switch (request.op) {
    case 'start': {
      const profile: HubTimingProfile = { ...DEFAULT_HUB_PROFILE, ...request.profile };
      simulator = new Simulator({ jigs: request.jigs, profileFor: () => profile });
      // Timing first: a hub's UART boots at the rate its line runs at when it is powered up.
      const lines = [...simulator.jigs.flatMap((j) => j.slots.map((s) => s.line))] as Array<{ setTiming?: (t: unknown) => void }>;
      if (request.timing) for (const line of lines) line.setTiming?.(request.timing);
      simulator.load(request.stock);
      return simulator.listenTcp();
    }
    case 'swap': {
      const jig = sim().jig(request.jig);
      jig.remove(request.slot);
      jig.insert(request.slot, request.spec);
      return null;
    }
    case 'drop': {
      const jig = sim().jig(request.jig);
      jig.control.detachHost();
      for (const slot of jig.slots) slot.line.detachHost();
      return null;
    }
    case 'truth':
      return sim().jigs.flatMap((jig) =>
        jig.slots.map((slot): SlotTruth => ({ jig: jig.id, slot: slot.number, committedBytes: slot.hub?.held?.committedBytes ?? 0, sizeBytes: slot.hub?.held?.sizeBytes ?? 0, runningVersion: slot.hub?.runningVersion ?? null })),
      );
    case 'cpu': {
      const { user, system } = process.cpuUsage();
      return user + system;
    }
    case 'close':
      await simulator?.close();
      setImmediate(() => process.exit(0));
      return null;
  }
}

function sim(): Simulator {
  if (!simulator) throw new Error('simulator not started');
  return simulator;
}

process.on('message', (request: SimRequest) => {
  handle(request).then(
    (result) => process.send?.({ id: request.id, ok: true, result } satisfies SimResponse),
    (err: Error) => process.send?.({ id: request.id, ok: false, error: err.message } satisfies SimResponse),
  );
});
