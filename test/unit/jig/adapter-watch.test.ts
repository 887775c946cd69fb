import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AdapterWatch } from '../../../src/jig/adapter-watch.js';
import { type AdapterView, type ListedPort } from '../../../src/jig/adapters.js';
import { type HotplugSource } from '../../../src/jig/usb-hotplug.js';
import type { SlotSessionEnd } from '../../../src/bench/slot-session.js';
import type { SlotView } from '../../../src/bench/slot-view.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { alarmsFrom } from '../../../src/live/alarms.js';
import { BenchEventBus } from '../../../src/live/bench-event-bus.js';

function logSink(): { log: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { log, lines };
}

const port = (path: string, serialNumber: string): ListedPort => ({
  path,
  serialNumber,
  vendorId: '0403',
  productId: '6001',
  pnpId: `usb-FTDI_${serialNumber}-if00-port0`,
});

describe('AdapterWatch', () => {
  it('logs adapters present at start once, and alarms on one plugged in later until it is unplugged', async () => {
    let ports = [port('/dev/ttyUSB0', 'JIG1'), port('/dev/ttyUSB5', 'GPS')];
    const hotplug = new EventEmitter() as EventEmitter & HotplugSource;
    const { log, lines } = logSink();
    const watch = new AdapterWatch({
      jigs: [{ id: 'J1', control: '/dev/ttyUSB0', slots: ['/dev/ttyUSB0'], baudRate: 115_200 }],
      log,
      list: async () => ports,
      hotplug,
      pollMs: 3_600_000,
      settleMs: 1,
    });
    const seen: AdapterView[][] = [];
    watch.on('unknown', (a) => seen.push(a));
    await watch.start();
    expect(lines.map((l) => l.msg)).toEqual(['serial adapters present that are no jig port of the config']);
    expect(watch.unknown).toEqual([]);

    ports = [...ports, port('/dev/ttyUSB6', 'NEW1')];
    hotplug.emit('attach', { deviceDescriptor: { idVendor: 0x0403, idProduct: 0x6001 } });
    await waitUntil(() => seen.length === 1);
    expect(seen[0]!.map((a) => a.path)).toEqual(['/dev/ttyUSB6']);
    expect(lines.at(-1)).toMatchObject({ level: 40, msg: expect.stringMatching(/^unknown serial adapter plugged in/) });
    const alarm = alarmsFrom({ jigs: [], slots: [], deadLetters: 0, disk: null, unknownAdapters: ['/dev/ttyUSB6 USB 0403:6001 serial NEW1'] });
    expect(alarm).toEqual([
      {
        code: 'UNKNOWN_ADAPTER',
        severity: 'warning',
        message: 'Unknown serial adapter plugged in: /dev/ttyUSB6 USB 0403:6001 serial NEW1',
        help: 'help-adapter',
      },
    ]);

    await watch.check(); // listed again, nothing new: no second event, no second log line
    expect(seen).toHaveLength(1);
    ports = ports.filter((p) => p.serialNumber !== 'NEW1');
    hotplug.emit('detach', { deviceDescriptor: { idVendor: 0x0403, idProduct: 0x6001 } });
    await waitUntil(() => seen.length === 2);
    expect(seen[1]).toEqual([]);
    watch.stop();
    expect(hotplug.listenerCount('attach')).toBe(0);
  });

  it('keeps running without alarms when the ports cannot be listed', async () => {
    const { log, lines } = logSink();
    const watch = new AdapterWatch({ jigs: [], log, list: async () => Promise.reject(new Error('spawn udevadm ENOENT')), hotplug: null, pollMs: 3_600_000 });
    await watch.start();
    await watch.check();
    expect(watch.unknown).toEqual([]);
    expect(lines.filter((l) => l.msg.startsWith('cannot list serial adapters'))).toHaveLength(1);
    watch.stop();
  });
});

async function waitUntil(done: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('UNKNOWN_ADAPTER on the dashboard', () => {
  it('is published in the alarm list by the event bus, and its help anchor is on the page', () => {
    const bench = Object.assign(new EventEmitter<{ slot: [SlotView]; finished: [SlotSessionEnd]; jig: [string, boolean, string | null] }>(), {
      slots: () => [],
      jigs: () => [],
      operatorId: 'bench',
    });
    const bus = new BenchEventBus({
      bench,
      outbox: { summary: () => ({ pending: 0, blocked: 0, delivered: 0, dead: 0, oldestPendingAt: null, lastDeliveredAt: null }) },
      storeDir: PACKAGE_ROOT,
      checkIntervalMs: 3_600_000,
    });
    bus.start();
    bus.setUnknownAdapters(['/dev/ttyUSB6 USB 0403:6001 serial NEW1']);
    const alarms = bus.snapshot().alarms;
    bus.stop();
    expect(alarms.map((a) => [a.code, a.help])).toEqual([['UNKNOWN_ADAPTER', 'help-adapter']]);
    expect(readFileSync(join(PACKAGE_ROOT, 'src/dashboard/client/index.html'), 'utf8')).toContain('id="help-adapter"');
  });
});

describe('AdapterWatch stopped during its first listing', () => {
  it('leaves no hotplug listener and no timer behind', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const hotplug = new EventEmitter() as EventEmitter & HotplugSource;
    const watch = new AdapterWatch({ jigs: [], log: pino({ level: 'silent' }), list: async () => (await slow, []), hotplug });
    const started = watch.start();
    watch.stop();
    release();
    await started;
    expect(hotplug.listenerCount('attach')).toBe(0);
  });
});
