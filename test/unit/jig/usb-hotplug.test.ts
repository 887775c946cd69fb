import { EventEmitter } from 'node:events';
import { once } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { JigStation } from '../../../src/bench/jig-station.js';
import { UsbHotplug, type HotplugSource } from '../../../src/jig/usb-hotplug.js';
import { Simulator } from '../../../jig-sim/simulator.js';

const log = pino({ level: 'silent' });
const device = (idVendor: number, idProduct: number) => ({ deviceDescriptor: { idVendor, idProduct } });

describe('USB hotplug', () => {
  it('reports attach and detach only for adapters a jig names', async () => {
    const source = new EventEmitter() as EventEmitter & HotplugSource;
    const hotplug = new UsbHotplug({ jigs: [{ id: 'JIG-1', usb: { vendorId: 0x0403, productId: 0x6001 } }, { id: 'JIG-2' }], log, source });
    await hotplug.start();
    const seen: string[] = [];
    hotplug.on('attach', (id) => seen.push(`+${id}`));
    hotplug.on('detach', (id) => seen.push(`-${id}`));
    source.emit('attach', device(0x0403, 0x6001));
    source.emit('attach', device(0x10c4, 0xea60));
    source.emit('detach', device(0x0403, 0x6001));
    hotplug.stop();
    source.emit('attach', device(0x0403, 0x6001));
    expect(seen).toEqual(['+JIG-1', '-JIG-1']);
  });

  it('does not load the native binding when no jig names an adapter', async () => {
    const hotplug = new UsbHotplug({ jigs: [{ id: 'JIG-1' }], log });
    await hotplug.start();
    expect(hotplug.watching).toBe(false);
  });

  it('lets a station reconnect at once when its adapter comes back', async () => {
    const sim = new Simulator({ jigs: 1 });
    let plugged = false;
    const lines = (name: string) => (plugged ? sim.openInProcess(name) : undefined);
    const [address] = sim.inProcessAddresses();
    const station = new JigStation({ config: { ...address!, baudRate: 115_200 }, log, jigTimeoutMs: 500, inProcess: lines });
    await station.start(); // fails: the adapter is "unplugged"; the next try is backed off
    expect(station.connected).toBe(false);
    plugged = true;
    const connected = once(station, 'connected');
    const started = Date.now();
    station.reconnectNow();
    await connected;
    expect(Date.now() - started).toBeLessThan(400); // well inside the 500 ms first backoff
    expect(station.connected).toBe(true);
    await station.stop();
    await sim.close();
  });

  it('joins a burst of attach events into one connect, and leaves no retry behind it', async () => {
    const sim = new Simulator({ jigs: 1 });
    const [address] = sim.inProcessAddresses();
    let plugged = false;
    let controlOpens = 0;
    const lines = (name: string) => {
      if (!plugged) return undefined;
      if (`sim://${name}` === address!.control) controlOpens++;
      return sim.openInProcess(name);
    };
    const station = new JigStation({ config: { ...address!, baudRate: 115_200 }, log, jigTimeoutMs: 5_000, inProcess: lines });
    await station.start(); // unplugged: a retry is scheduled 500 ms out
    plugged = true;
    const connected = once(station, 'connected');
    // Several adapters with the same USB ids each announce themselves.
    station.reconnectNow();
    station.reconnectNow();
    station.reconnectNow();
    await connected;
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // past the first backoff steps
    expect(controlOpens).toBe(1);
    expect(station.connected).toBe(true);
    await station.stop();
    await sim.close();
  });
});
