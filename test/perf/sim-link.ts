/**
 * Measures the simulator's link against its physical limit: a raw stream through a paced slot
 * line, then a whole re-flash per transport, each as a ratio to baudRate / 10 bytes per second.
 *
 *   npx tsx test/perf/sim-link.ts
 */
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { BenchHarness, type Transport } from '../helpers/bench-harness.js';
import { measureRawStream } from '../helpers/raw-stream.js';

async function rawStream(baudRate: number, latencyMs: number): Promise<string> {
  const { sentBytes, ms, bytesPerSecond } = await measureRawStream({ baudRate, latencyMs });
  return `raw stream ${baudRate} baud, latency ${latencyMs} ms: ${sentBytes} B in ${ms.toFixed(1)} ms = ${bytesPerSecond.toFixed(0)} B/s = ${(bytesPerSecond / (baudRate / 10)).toFixed(4)} × line rate`;
}

async function reflash(transport: Transport, baudRate: number): Promise<string[]> {
  const stock = generateStock({ seed: 'perf', count: 3 }); // Toshiba SB and DB (incompressible), WNC SB (deflates)
  const harness = new BenchHarness({ transport, stock, workOrder: true, profile: INSTANT_HUB_PROFILE, timing: { paced: true, baudRate, latencyMs: 2 } });
  try {
    await harness.start();
    const results = await harness.finished(stock.length, 120_000);
    return results.map(({ result }) => {
      const t = result.transfer!;
      const rate = t.wireBytes / (t.elapsedMs / 1000);
      return `${transport.padEnd(10)} ${baudRate} baud ${result.identity!.model} ${result.result}: ${t.wireBytes} payload B of ${t.imageBytes} in ${t.elapsedMs} ms = ${(rate / (baudRate / 10)).toFixed(3)} × line rate, ${t.blocksResent} resent`;
    });
  } finally {
    await harness.stop();
  }
}

for (const baud of [115_200, 921_600]) for (const latency of [0, 4]) console.log(await rawStream(baud, latency));
for (const transport of ['in-process', 'tcp', 'pty'] as const) for (const line of await reflash(transport, 921_600)) console.log(line);
