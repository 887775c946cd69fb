import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { isFlashdError } from '../../../src/domain/errors.js';
import { FAULT_KINDS, loadScenario, parseScenario } from '../../../jig-sim/index.js';

function problems(raw: unknown): string[] {
  try {
    parseScenario(raw, 'test.json');
  } catch (err) {
    if (!isFlashdError(err, 'SCENARIO_INVALID')) throw err;
    expect(err.message).toContain('test.json');
    return err.details!.problems as string[];
  }
  return [];
}

describe('scenario files', () => {
  const dir = join(PACKAGE_ROOT, 'jig-sim/scenarios');
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('example %s is valid', async (file) => {
    const scenario = await loadScenario(join(dir, file));
    expect(scenario.description).toBeTruthy();
  });

  it('accepts every fault kind in its documented shape', () => {
    const faults = [
      { kind: 'bit-errors', ratePerBit: 1e-5, direction: 'to-hub', durationMs: 100 },
      { kind: 'drop-bytes', rate: 0.001 },
      { kind: 'duplicate-bytes', rate: 0.001, target: { jig: 2, slot: 8 } },
      { kind: 'garbage', lengthBytes: [1, 8] },
      { kind: 'brick', when: { phase: 'IDENTIFY', attempt: 2 } },
      { kind: 'remove', reinsertAfterMs: 500, when: { phase: 'TRANSFER', percent: 50 } },
      { kind: 'unlock-refused', lockoutAfter: 3, target: { deviceId: '00-DB-12-34-56-78-90-A0' } },
      { kind: 'flash-write-error', sector: 3, times: 1 },
      { kind: 'hash-mismatch', offset: 4096 },
      { kind: 'slow-hub', factor: 2.5 },
      { kind: 'boot-version', firmwareVersion: '00030110', times: 2 },
      { kind: 'control-disconnect', target: { jig: 1 }, when: { afterMs: 1000 }, refuseMs: 200 },
      { kind: 'jig-reboot', target: { jig: 1 }, durationMs: 300 },
      { kind: 'garbage', line: 'control', target: { jig: 1 }, rate: 0.01 },
      { kind: 'brown-out', durationMs: 50, when: { phase: 'TRANSFER', offset: 8192 } },
    ];
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(parseScenario({ seed: 's', link: { paced: true, baudRate: 115200 }, faults }).faults).toHaveLength(faults.length);
  });

  it('names the path of every problem at once', () => {
    const found = problems({
      link: { baudRate: 12 },
      faults: [
        { kind: 'bit-errors', ratePerBit: 3 },
        { kind: 'melt' },
        { kind: 'brick', when: { phase: 'VERIFY', percent: 5 } },
        { kind: 'control-disconnect', target: { jig: 1, slot: 2 } },
        { kind: 'slow-hub' },
        { kind: 'brick', target: { deviceId: 'nope' } },
      ],
      extra: true,
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/link\/baudRate: /),
        expect.stringMatching(/^\/extra: unknown key/),
        expect.stringMatching(/^\/faults\/0\/ratePerBit: .*1/),
        expect.stringMatching(/^\/faults\/1\/kind: must be one of "bit-errors"/),
        expect.stringMatching(/^\/faults\/2\/when: offset and percent apply to the TRANSFER phase only/),
        expect.stringMatching(/^\/faults\/3\/target: control-disconnect needs/),
        expect.stringMatching(/^\/faults\/4\/factor: /),
        expect.stringMatching(/^\/faults\/5\/target: must be/),
      ]),
    );
  });

  it('refuses a file that is not JSON, saying which file', async () => {
    await expect(loadScenario(join(PACKAGE_ROOT, 'package.json.missing'))).rejects.toMatchObject({ code: 'SCENARIO_INVALID' });
    expect(problems([])).toEqual(['/: a scenario must be a JSON object']);
  });
});
