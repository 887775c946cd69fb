import { afterEach, describe, expect, it } from 'vitest';
import type { HubDriver, HubDriverFactory, HubDriverRegistry } from '../../../src/session/hub-driver.js';
import { selectHubDriver } from '../../../src/session/hub-driver.js';
import { createReferenceHubDriver, DEFAULT_HUB_DRIVERS } from '../../../src/session/reference-hub-driver.js';
import { INSTANT_HUB_PROFILE, Simulator, generateStock } from '../../../jig-sim/index.js';
import { flashSlot } from '../../helpers/sim-session.js';

/**
 * A second hub driver, for tests only: it keeps a log of every exchange and hands each to the
 * reference driver, as a manufacturer's driver would speak its own protocol. It proves that the
 * session reaches the hub only through the HubDriver interface, and that the driver is chosen by
 * the manufacturer the hub reports.
 */
function loggingDriver(calls: string[]): HubDriverFactory {
  return (link, options) => {
    const inner = createReferenceHubDriver(link, options);
    const driver: HubDriver = {
      identify: (o) => (calls.push(`identify${o.first ? ' first' : ''}`), inner.identify(o)),
      raiseRate: (signal) => (calls.push('raiseRate'), inner.raiseRate(signal)),
      unlock: (identity, key, signal) => (calls.push('unlock'), inner.unlock(identity, key, signal)),
      transfer: (o) => (calls.push('transfer'), inner.transfer(o)),
      verify: (image, signal) => (calls.push('verify'), inner.verify(image, signal)),
      activate: (signal) => (calls.push('activate'), inner.activate(signal)),
      readVersion: (signal) => (calls.push('readVersion'), inner.readVersion(signal)),
      restore: (o) => (calls.push('restore'), inner.restore(o)),
    };
    return driver;
  };
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('the hub driver seam', () => {
  it('flashes a hub through the driver registered for its manufacturer', async () => {
    const spec = generateStock({ seed: 'driver-seam', count: 1 })[0]!;
    sim = new Simulator({ jigs: 1, profileFor: () => INSTANT_HUB_PROFILE });
    sim.jig(1).insert(1, spec);
    const calls: string[] = [];
    const drivers: HubDriverRegistry = new Map([...DEFAULT_HUB_DRIVERS, [spec.manufacturer, loggingDriver(calls)]]);

    const result = await flashSlot(sim, 1, 1, { drivers });

    expect(result.result).toBe('REFLASHED');
    expect(result.hubSha256).toBe(result.imageSha256);
    // The `*` driver identified the hub; its manufacturer's driver took over, identified it
    // again in its own protocol and did everything after, reboot and read-back included.
    expect(calls).toEqual(['identify', 'raiseRate', 'unlock', 'transfer', 'verify', 'activate', 'identify', 'readVersion', 'restore']);
    expect(sim.truth()[0]!.firmwareVersion).toBe(result.firmwareVersion);
  });

  it('leaves a manufacturer without a driver of its own to the default one', async () => {
    const spec = generateStock({ seed: 'driver-seam-2', count: 1 })[0]!;
    sim = new Simulator({ jigs: 1, profileFor: () => INSTANT_HUB_PROFILE });
    sim.jig(1).insert(1, spec);
    const calls: string[] = [];
    const other = spec.manufacturer === 'FFFF' ? 'FFFE' : 'FFFF';
    const result = await flashSlot(sim, 1, 1, { drivers: new Map([...DEFAULT_HUB_DRIVERS, [other, loggingDriver(calls)]]) });
    expect(result.result).toBe('REFLASHED');
    expect(calls).toEqual([]);
  });

  it('selects by manufacturer code in any case, else `*`, and refuses a registry without a default', () => {
    const own = loggingDriver([]);
    const registry = new Map([...DEFAULT_HUB_DRIVERS, ['10AB', own]]);
    expect(selectHubDriver(registry, '10ab')).toBe(own);
    expect(selectHubDriver(registry, '1086')).toBe(createReferenceHubDriver);
    expect(() => selectHubDriver(new Map([['10AB', own]]), '1086')).toThrow(RangeError);
  });
});
