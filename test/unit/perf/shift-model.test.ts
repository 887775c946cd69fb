import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { otaFileBody } from '../../perf/perf-catalog.js';
import { simulateShift } from '../../perf/shift-model.js';

const ONE_EACH = { unpack: 1, scan: 1, seat: 1, unseat: 1, pack: 1 };

describe('the shift model', () => {
  it('runs one slot and one technician exactly as worked by hand', () => {
    // Seat at 3, 15, …, 99 (unseat + seat after each 10 s cycle), pack at 16, 28, …, 100: 8 hubs in 100 s.
    const r = simulateShift({ slots: 1, shiftSeconds: 100, handling: ONE_EACH, cycleSeconds: () => 10 });
    expect(r.hubs).toBe(8);
    expect(r.hubsPerHour).toBeCloseTo(288, 6);
    // Waiting for the LED: 5→13, then 7 s in each of the next seven cycles.
    expect(r.technicianIdle).toBeCloseTo(0.57, 6);
    // Flashing 8 × 10 s plus the last hub's first second.
    expect(r.slotIdle).toBeCloseTo(0.19, 6);
    expect(r.bottleneck).toBe('slots');
  });

  it('is bound by the technician when handling outlasts what the slots need', () => {
    const r = simulateShift({ slots: 24, shiftSeconds: 8 * 3600, handling: { unpack: 8, scan: 3, seat: 5, unseat: 4, pack: 8 }, cycleSeconds: () => 12 });
    expect(r.technicianBoundPerHour).toBeCloseTo(3600 / 28, 6);
    expect(r.hubsPerHour).toBeGreaterThan(0.98 * (3600 / 28));
    expect(r.hubsPerHour).toBeLessThanOrEqual(3600 / 28);
    expect(r.technicianIdle).toBe(0);
    expect(r.bottleneck).toBe('technician');
  });

  it('is bound by the slots when flashing is long and handling short', () => {
    const handling = { unpack: 0.2, scan: 0.2, seat: 0.2, unseat: 0.2, pack: 0.2 };
    const r = simulateShift({ slots: 1, shiftSeconds: 8 * 3600, handling, cycleSeconds: () => 100 });
    // A slot is down only for unseat + seat between hubs.
    expect(r.hubsPerHour).toBeGreaterThan(0.99 * (3600 / 100.4));
    expect(r.slotIdle).toBeLessThan(0.01);
    expect(r.technicianIdle).toBeGreaterThan(0.9);
    expect(r.bottleneck).toBe('slots');
  });

  it('refuses handling times and cycles that are not positive seconds', () => {
    expect(() => simulateShift({ slots: 1, shiftSeconds: 10, handling: { ...ONE_EACH, pack: -1 }, cycleSeconds: () => 1 })).toThrow(/handling pack/);
    expect(() => simulateShift({ slots: 1, shiftSeconds: 10, handling: ONE_EACH, cycleSeconds: () => 0 })).toThrow(/flash cycle/);
  });
});

describe('the benchmark reading any OTA file', () => {
  const samples = join(PACKAGE_ROOT, 'test/fixtures/ota-samples');

  it('takes the bytes after the file’s own header', () => {
    const file = join(samples, 'Superman_v3_08_ProdKey_3080.ota');
    expect(otaFileBody(file).length).toBe(statSync(file).size - 56);
  });

  it('refuses a file that is not OTA, naming it', () => {
    const file = join(samples, 'README.md');
    expect(() => otaFileBody(file)).toThrow(`image ${file}: not a ZigBee OTA file`);
    expect(() => otaFileBody(join(samples, 'absent.ota'))).toThrow(/absent\.ota: cannot read it \(ENOENT\)/);
  });
});
