import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { DEFAULT_HUB_PROFILE, DEVICE_PROFILES, INSTANT_HUB_PROFILE, deviceProfileFor, scaleProfile } from '../../../jig-sim/index.js';

const doc = readFileSync(join(PACKAGE_ROOT, 'docs/simulator.md'), 'utf8');

describe('device profiles', () => {
  it('has one profile per Device Model, with the models hardware range', () => {
    expect([...DEVICE_PROFILES.keys()].sort()).toEqual(DEVICE_MODELS.map((m) => m.model).sort());
    for (const m of DEVICE_MODELS)
      expect(DEVICE_PROFILES.get(m.model)).toMatchObject({ manufacturer: m.manufacturer, hardwareVersions: [m.hardwareMin, m.hardwareMax] });
    expect(deviceProfileFor('FFFFFFFF')).toBe(DEFAULT_HUB_PROFILE);
  });

  it('matches the table in docs/simulator.md cell for cell', () => {
    for (const [model, p] of DEVICE_PROFILES) {
      const row = doc.split('\n').find((line) => line.startsWith(`| ${model} |`));
      expect(row, `docs row for ${model}`).toBeDefined();
      const cells = row!
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      expect(cells.slice(3)).toEqual([
        String(p.unlockMs),
        String(p.sectorBytes),
        String(p.eraseMsPerSector),
        String(p.writeBytesPerSecond),
        String(p.hashMsPerMiB),
        String(p.rebootMs),
        String(p.maxBlockBytes),
        String(p.maxWindow),
        String(p.maxBaudRate),
        p.deflate ? (p.deflateDictionary ? '1.1 dictionary' : '1.0 per block') : 'no',
        p.deflate ? String(p.inflateBytesPerSecond) : '–',
        `${p.hardwareVersions[0]}..${p.hardwareVersions[1]}`,
      ]);
    }
  });

  it('keeps a profile whose flash outruns a 921,600-baud link, and one with no device time', () => {
    const p = DEFAULT_HUB_PROFILE;
    const msPerSector = p.eraseMsPerSector + (p.sectorBytes / p.writeBytesPerSecond) * 1000;
    expect((p.sectorBytes / msPerSector) * 1000).toBeGreaterThan(921_600 / 10);
    expect(INSTANT_HUB_PROFILE).toMatchObject({
      unlockMs: 0,
      eraseMsPerSector: 0,
      hashMsPerMiB: 0,
      rebootMs: 0,
      writeBytesPerSecond: Number.POSITIVE_INFINITY,
    });
  });

  it('scales device times, not what the hub advertises', () => {
    const slow = scaleProfile(DEFAULT_HUB_PROFILE, 3);
    expect(slow).toMatchObject({ unlockMs: 90, eraseMsPerSector: 60, hashMsPerMiB: 180, rebootMs: 2400, maxBlockBytes: 4096, maxBaudRate: 921_600 });
    expect(slow.writeBytesPerSecond).toBeCloseTo(400_000 / 3);
    expect(() => scaleProfile(DEFAULT_HUB_PROFILE, 0)).toThrow(RangeError);
  });
});
