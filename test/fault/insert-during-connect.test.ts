import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { JigStation } from '../../src/bench/jig-station.js';
import { createDuplexPair } from '../../src/link/duplex-pair.js';

/**
 * A technician puts a hub in just as the daemon (re)connects to the jig: over a USB adapter the
 * PRESENT event can arrive in the same read as the STATUS reply, before the station listens for
 * slot events. Seen once in the PTY transport contract (reconnect, then insert); made
 * deterministic here with a jig that answers STATUS and reports the insertion in one chunk.
 */
describe('a hub inserted while the daemon reads the jig slots', () => {
  let station: JigStation | undefined;
  afterEach(async () => {
    await station?.stop();
    station = undefined;
  });

  it('is reported, not lost between the STATUS reply and the event wiring', async () => {
    const devices = new Map<string, Duplex>();
    const inProcess = (name: string): Duplex => {
      const [host, device] = createDuplexPair();
      devices.set(name, device);
      if (name === 'J/control') {
        let text = '';
        device.on('data', (chunk: Buffer) => {
          text += chunk.toString('ascii');
          for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
            const [seq, command] = text.slice(1, nl).trim().split(' ');
            text = text.slice(nl + 1);
            if (command === 'INFO') device.write(`@${seq} OK id=J slots=8 fw=1 serial=S\r\n`);
            if (command === 'STATUS') device.write(`@${seq} OK present=00000000 power=11111111\r\n!PRESENT slot=3\r\n`);
          }
        });
      }
      return host;
    };
    station = new JigStation({
      config: { id: 'J', control: 'sim://J/control', slots: Array.from({ length: 8 }, (_, i) => `sim://J/${i + 1}`), baudRate: 115_200 },
      log: pino({ level: 'silent' }),
      jigTimeoutMs: 1000,
      inProcess,
    });
    const seen: number[] = [];
    station.on('connected', (present) => seen.push(...present));
    station.on('present', (slot) => seen.push(slot));
    await station.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(station.connected).toBe(true);
    expect(seen).toEqual([3]);
  });
});
