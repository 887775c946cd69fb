import { connect } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/link/frame.js';
import { FrameParser } from '../../src/link/frame-parser.js';
import { decodeMessage, encodeMessage } from '../../src/session/hub-messages.js';
import { INSTANT_HUB_PROFILE, MAX_JIGS, Simulator, generateStock } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';

describe('a simulator of 64 jigs × 8 slots', () => {
  let sim: Simulator | undefined;
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await sim?.close();
    await harness?.stop();
    sim = harness = undefined;
  });

  it('listens on 64 × 9 TCP ports and the last jig and its last slot answer', async () => {
    sim = new Simulator({ jigs: MAX_JIGS, profileFor: () => INSTANT_HUB_PROFILE });
    const [spec] = generateStock({ seed: '64', count: 1 });
    sim.jig(64).insert(8, spec!);
    const addresses = await sim.listenTcp();
    expect(addresses).toHaveLength(64);
    const ports = new Set(addresses.flatMap((a) => [a.control, ...a.slots]));
    expect(ports.size).toBe(64 * 9);

    const last = addresses[63]!;
    const [host, port] = last.control.slice('socket://'.length).split(':');
    const control = connect({ host: host!, port: Number(port) });
    await once(control, 'connect');
    let text = '';
    control.on('data', (chunk: Buffer) => (text += chunk.toString('ascii')));
    control.write('#7 INFO\r\n');
    while (!text.includes('@7 OK')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(text).toMatch(/@7 OK id=JIG-64 slots=8 fw=\S+ serial=SIM0064/);
    control.destroy();

    const [slotHost, slotPort] = last.slots[7]!.slice('socket://'.length).split(':');
    const slot = connect({ host: slotHost!, port: Number(slotPort) });
    await once(slot, 'connect');
    const parser = new FrameParser();
    const reply = new Promise((resolve) => slot.on('data', (chunk: Buffer) => parser.feed(chunk, (frame) => resolve(decodeMessage(frame)))));
    slot.write(encodeFrame(encodeMessage({ kind: 'IDENTIFY' }, 1)));
    expect(await reply).toMatchObject({ kind: 'IDENTITY', firmwareVersion: Number.parseInt(spec!.firmwareVersion, 16) });
    slot.destroy();
  });

  it('the daemon drives all 64 jigs and flashes a hub in the very last slot', async () => {
    const [spec] = generateStock({ seed: '64-bench', count: 1 });
    harness = new BenchHarness({ jigs: 64, transport: 'tcp', stock: [], reserve: [spec!], workOrder: true, profile: INSTANT_HUB_PROFILE });
    // 64 stations connecting at once must not look like a listener leak on the start signal.
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    await harness.start();
    harness.simulator.jig(64).insert(8, spec!);
    const [done] = await harness.finished(1, 30_000);
    expect(done).toMatchObject({ jig: 'JIG-64', slot: 8, result: { result: 'REFLASHED' } });
    expect(harness.simulator.truth()[0]).toMatchObject({ jigId: 'JIG-64', slot: 8, flashCount: 1 });
    expect(harness.simulator.jigs.every((j) => j.control.connected)).toBe(true);
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});
