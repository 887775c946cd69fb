import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Simulator } from '../../jig-sim/index.js';

/**
 * The control-disconnect fault at the simulator's end of the wire. That the daemon reconnects
 * and works on is the transport contract's job (test/integration/transport-contract.test.ts),
 * on in-process, TCP and PTY lines.
 */
describe('control-disconnect', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function open(address: string): Promise<Socket> {
    const [host, port] = address.slice('socket://'.length).split(':');
    const socket = connect({ host: host!, port: Number(port) });
    await once(socket, 'connect');
    return socket;
  }

  it('closes the jig control line (not the slot lines), refuses connections for refuseMs, then takes one again', async () => {
    sim = new Simulator({ jigs: 2 });
    const [jig1, jig2] = await sim.listenTcp();
    const control = await open(jig1!.control);
    const other = await open(jig2!.control);
    const slot = await open(jig1!.slots[0]!);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sim.jig(1).control.connected).toBe(true);

    const closed = once(control, 'close');
    control.resume();
    expect(sim.faults.inject({ kind: 'control-disconnect', target: { jig: 1 }, refuseMs: 200 })).toEqual([
      expect.objectContaining({ what: 'control-disconnect on JIG-1' }),
    ]);
    await closed;
    expect(sim.jig(1).control.connected).toBe(false);
    expect(sim.jig(2).control.connected).toBe(true);
    expect(sim.jig(1).slot(1).line.connected).toBe(true);

    const refused = await open(jig1!.control);
    refused.resume();
    await once(refused, 'close');
    expect(sim.jig(1).control.connected).toBe(false);

    await new Promise((resolve) => setTimeout(resolve, 220));
    const again = await open(jig1!.control);
    let text = '';
    again.on('data', (chunk: Buffer) => (text += chunk.toString('ascii')));
    while (!text.includes('!READY')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sim.jig(1).control.connected).toBe(true);
    expect(sim.jig(1).control.attachCount).toBe(2);
    for (const s of [again, other, slot]) s.destroy();
  });
});
