import { once } from 'node:events';
import { connect } from 'node:net';
import { Simulator } from '../../jig-sim/index.js';

export interface RawStreamResult {
  sentBytes: number;
  receivedBytes: number;
  ms: number;
  bytesPerSecond: number;
}

/**
 * Streams `seconds` worth of bytes at the line rate into one slot of a paced simulator over TCP,
 * as a host would, and times their arrival at the hub end of the line.
 */
export async function measureRawStream(options: { baudRate: number; latencyMs: number; slot?: number; seconds?: number }): Promise<RawStreamResult> {
  const slot = options.slot ?? 1;
  const sim = new Simulator({ jigs: 1, timing: { paced: true, baudRate: options.baudRate, latencyMs: options.latencyMs } });
  try {
    const [jig] = await sim.listenTcp();
    const [host, port] = jig!.slots[slot - 1]!.slice('socket://'.length).split(':');
    const socket = connect({ host: host!, port: Number(port), noDelay: true });
    await once(socket, 'connect');
    const bytes = Buffer.alloc(Math.round((options.baudRate / 10) * (options.seconds ?? 1.5)), 0x55);
    let got = 0;
    const done = new Promise<number>((resolve) =>
      sim
        .jig(1)
        .slot(slot)
        .line.setDevice((chunk) => {
          got += chunk.length;
          if (got >= bytes.length) resolve(performance.now());
        }),
    );
    const started = performance.now();
    socket.write(bytes);
    const ms = (await done) - started;
    socket.destroy();
    return { sentBytes: bytes.length, receivedBytes: got, ms, bytesPerSecond: bytes.length / (ms / 1000) };
  } finally {
    await sim.close();
  }
}
