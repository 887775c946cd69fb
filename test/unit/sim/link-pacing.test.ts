import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { measureRawStream } from '../../helpers/raw-stream.js';
import { createDuplexPair } from '../../../src/link/duplex-pair.js';
import { SimLine } from '../../../jig-sim/sim-line.js';
import { Simulator, parseScenario } from '../../../jig-sim/index.js';

const lines: SimLine[] = [];
afterEach(() => {
  for (const line of lines.splice(0)) line.close();
});

function pacedLine(baudRate: number, latencyMs = 0): { line: SimLine; host: ReturnType<typeof createDuplexPair>[0] } {
  const line = new SimLine('pace-test', { timing: { paced: true, baudRate, latencyMs } });
  lines.push(line);
  const [host, device] = createDuplexPair();
  line.attachHost(device);
  return { line, host };
}

/** Sends `bytes` host → device and returns when the last byte arrived, in ms after the write. */
async function timeToDevice(line: SimLine, host: ReturnType<typeof createDuplexPair>[0], bytes: Buffer): Promise<{ ms: number; received: Buffer }> {
  const parts: Buffer[] = [];
  let got = 0;
  const done = new Promise<number>((resolve) => {
    line.setDevice((chunk) => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= bytes.length) resolve(performance.now());
    });
  });
  const started = performance.now();
  host.write(bytes);
  const ended = await done;
  return { ms: ended - started, received: Buffer.concat(parts) };
}

describe('SimLine pacing (8N1: baudRate / 10 bytes per second)', () => {
  it.each([115_200, 921_600])('carries a %i-baud stream into a simulator slot over TCP within 2%% of the line rate', async (baudRate) => {
    const expectedBytesPerSecond = baudRate / 10;
    const { sentBytes, receivedBytes, bytesPerSecond } = await measureRawStream({ baudRate, latencyMs: 0, slot: 3, seconds: 1.5 });
    expect(receivedBytes).toBe(sentBytes);
    expect(
      Math.abs(bytesPerSecond / expectedBytesPerSecond - 1),
      `measured ${bytesPerSecond.toFixed(0)} B/s, line rate ${expectedBytesPerSecond} B/s`,
    ).toBeLessThan(0.02);
  });

  it('paces device → host on its own and at the same rate', async () => {
    const { line, host } = pacedLine(921_600);
    const bytes = Buffer.alloc(92_160, 0xa5); // 1 s at 921,600 baud
    let got = 0;
    const started = performance.now();
    const done = new Promise<number>((resolve) =>
      host.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got >= bytes.length) resolve(performance.now());
      }),
    );
    line.send(bytes);
    const ms = (await done) - started;
    expect(Math.abs(bytes.length / (ms / 1000) / 92_160 - 1)).toBeLessThan(0.02);
  });

  it('adds the one-way latency to every byte and delivers a small write no sooner than its wire time', async () => {
    const { line, host } = pacedLine(115_200, 12);
    const { ms } = await timeToDevice(line, host, Buffer.from('x'.repeat(115))); // 10 ms of wire time
    expect(ms).toBeGreaterThanOrEqual(10 + 12 - 0.5);
    expect(ms).toBeLessThan(10 + 12 + 15);
  });

  it('switches rate at run time: queued bytes go at the new rate', async () => {
    const { line, host } = pacedLine(115_200);
    const bytes = Buffer.alloc(46_080, 1); // 4 s at 115,200; 0.5 s at 921,600
    const pending = timeToDevice(line, host, bytes);
    await new Promise((resolve) => setTimeout(resolve, 200)); // ~2.3 KB at the slow rate
    line.setBaudRate(921_600);
    const { ms } = await pending;
    expect(line.timing.baudRate).toBe(921_600);
    // 0.2 s at 11,520 B/s then the rest at 92,160 B/s ≈ 0.67 s; far below the 4 s it would take unswitched.
    expect(ms).toBeGreaterThan(600);
    expect(ms).toBeLessThan(900);
  });

  it('holds the host back once a UART buffer of bytes waits, and lets it go as the line drains', async () => {
    const line = new SimLine('backpressure', { timing: { paced: true, baudRate: 921_600, latencyMs: 0 } });
    lines.push(line);
    const [host, device] = createDuplexPair();
    line.attachHost(device);
    let got = 0;
    line.setDevice((chunk) => (got += chunk.length));
    host.write(Buffer.alloc(20_000, 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(device.isPaused()).toBe(true);
    while (got < 20_000) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(device.isPaused()).toBe(false);
  });

  it('takes timing per simulator and per slot from a scenario', async () => {
    const sim = new Simulator({ jigs: 1 });
    sim.startScenario(
      parseScenario({ link: { paced: true, baudRate: 460_800, latencyMs: 3 }, slots: [{ jig: 1, slot: 8, link: { baudRate: 115_200 } }], faults: [] }),
    );
    expect(sim.jig(1).slot(1).line.timing).toEqual({ paced: true, baudRate: 460_800, latencyMs: 3 });
    expect(sim.jig(1).slot(8).line.timing).toEqual({ paced: true, baudRate: 115_200, latencyMs: 3 });
    expect(sim.jig(1).control.timing.paced).toBe(true);
    await sim.close();
  });

  it('lets a hub finish sending at the old rate before it switches (the SET_BAUD order)', async () => {
    const { line, host } = pacedLine(115_200);
    let arrived = 0;
    host.on('data', (chunk: Buffer) => (arrived += chunk.length));
    line.send(Buffer.alloc(1152, 2)); // 100 ms at 115,200
    const started = performance.now();
    await line.sentToHost();
    line.setBaudRate(921_600);
    expect(arrived).toBe(1152);
    expect(performance.now() - started).toBeGreaterThanOrEqual(99);
  });

  it('delivers at once when pacing is off (the default)', async () => {
    const line = new SimLine('instant');
    lines.push(line);
    const [host, device] = createDuplexPair();
    line.attachHost(device);
    const { ms, received } = await timeToDevice(line, host, Buffer.alloc(1_000_000, 7));
    expect(received.length).toBe(1_000_000);
    expect(ms).toBeLessThan(200); // 1 MB would take 87 s at 115,200 baud
  });

  it('drops a previous host when a new one attaches (ser2net semantics) and counts attachments', async () => {
    const line = new SimLine('reattach');
    lines.push(line);
    const [, first] = createDuplexPair();
    line.attachHost(first);
    const [, second] = createDuplexPair();
    line.attachHost(second);
    if (!first.destroyed) await once(first, 'close');
    expect(first.destroyed).toBe(true);
    expect(line.attachCount).toBe(2);
  });
});
