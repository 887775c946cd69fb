import { connect } from 'node:net';
import { once } from 'node:events';
import { DEFAULT_HUB_PROFILE, Simulator, deviceProfileFor, type HubTimingProfile } from '../../jig-sim/index.js';
import type { LineTiming, SimRequest, SimResponse, SlotTruth } from './sim-protocol.js';

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
      // byModel: each hub as its Device Model's profile (jig-sim/device-profiles.ts), `profile` on top.
      simulator = new Simulator({
        jigs: request.jigs,
        profileFor: request.byModel ? (spec) => ({ ...deviceProfileFor(spec.model), ...request.profile }) : () => profile,
      });
      // Timing first: a hub's UART boots at the rate its line runs at when it is powered up.
      const lines = [...simulator.jigs.flatMap((j) => j.slots.map((s) => s.line))] as Array<{ setTiming?: (t: unknown) => void }>;
      if (request.timing) for (const line of lines) line.setTiming?.(request.timing);
      if (request.noise) {
        for (const { line } of simulator.jigs.flatMap((j) => j.slots)) {
          line.toDeviceFaults.set(request.noise);
          line.toHostFaults.set(request.noise);
        }
      }
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
        jig.slots.map((slot): SlotTruth => ({
          jig: jig.id,
          slot: slot.number,
          committedBytes: slot.hub?.held?.committedBytes ?? 0,
          sizeBytes: slot.hub?.held?.sizeBytes ?? 0,
        })),
      );
    case 'raw-line':
      return rawLineRate(request.timing, request.seconds);
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

/**
 * The physical limit as this machine delivers it now: raw bytes streamed over TCP into one paced
 * slot line (no protocol), bytes per second arriving at the hub's end. A simulator of its own, so
 * the benchmark's lines are untouched.
 */
async function rawLineRate(timing: LineTiming, seconds: number): Promise<number> {
  const raw = new Simulator({ jigs: 1 });
  try {
    const line = raw.jig('JIG-1').slot(1).line as unknown as { setTiming(t: LineTiming): void; setDevice(d: (c: Buffer) => void): void };
    line.setTiming(timing);
    const [jig] = await raw.listenTcp();
    const [host, port] = jig!.slots[0]!.slice('socket://'.length).split(':');
    const socket = connect({ host: host!, port: Number(port), noDelay: true });
    await once(socket, 'connect');
    const bytes = Buffer.alloc(Math.round((timing.baudRate / 10) * seconds), 0x55);
    let got = 0;
    let first = 0;
    let firstBytes = 0;
    const done = new Promise<number>((resolve) =>
      line.setDevice((chunk) => {
        if (got === 0) {
          first = performance.now();
          firstBytes = chunk.length;
        }
        got += chunk.length;
        if (got >= bytes.length) resolve(performance.now());
      }),
    );
    socket.write(bytes);
    // From the first byte's arrival, so the one-way latency is not counted against the line.
    const ms = (await done) - first;
    socket.destroy();
    return (bytes.length - firstBytes) / (ms / 1000);
  } finally {
    await raw.close();
  }
}
