import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';
import { parseCliCommand } from '../../../jig-sim/index.js';

describe('interactive simulator commands', () => {
  it.each([
    ['insert 1/3', { action: 'insert', jig: 1, slot: 3 }],
    ['insert 2/8 00-db-12-34-56-78-90-a0', { action: 'insert', jig: 2, slot: 8, deviceId: '00-DB-12-34-56-78-90-A0' }],
    ['remove 1/3', { action: 'remove', jig: 1, slot: 3 }],
    ['press 12/1', { action: 'press', jig: 12, slot: 1 }],
    ['power 1/3 off', { action: 'power', jig: 1, slot: 3, on: false }],
    ['POWER 1/3 On', { action: 'power', jig: 1, slot: 3, on: true }],
    ['fault {"kind":"brick","target":{"jig":1,"slot":3}}', { action: 'fault', fault: { kind: 'brick', target: { jig: 1, slot: 3 } } }],
  ])('%s', (line, action) => {
    expect(parseCliCommand(line)).toEqual({ kind: 'action', action });
  });

  it('knows truth, slots, help and quit, ignores blank lines, and says what to type otherwise', () => {
    expect(parseCliCommand('truth').kind).toBe('truth');
    expect(parseCliCommand('slots').kind).toBe('slots');
    expect(parseCliCommand(' help ').kind).toBe('help');
    expect(parseCliCommand('quit').kind).toBe('quit');
    expect(parseCliCommand('   ').kind).toBe('none');
    expect(() => parseCliCommand('insert 3')).toThrow(/insert needs a slot as J\/S, e.g. insert 1\/3/);
    expect(() => parseCliCommand('power 1/3 maybe')).toThrow(/on or off/);
    expect(() => parseCliCommand('fault {oops')).toThrow(/JSON fault/);
    expect(() => parseCliCommand('dance')).toThrow(/unknown command "dance"; type help/);
  });

  it('runs as a process: prints addresses and the control URL, then takes commands from a person', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(PACKAGE_ROOT, 'jig-sim/cli.ts'), '--jigs', '2', '--tcp', '--hubs', '1', '--profile', 'instant', '--interactive'],
      {
        cwd: PACKAGE_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const waitFor = async (pattern: RegExp): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      await waitFor(/type help for commands/);
      const started = JSON.parse(out.split('\n')[0]!) as { control: string; jigs: Array<{ id: string; control: string; slots: string[] }> };
      expect(started.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.jigs.map((j) => j.slots.length)).toEqual([8, 8]);
      expect(started.jigs[1]!.control).toMatch(/^socket:\/\/127\.0\.0\.1:\d+$/);
      child.stdin.write('remove 1/1\n');
      await waitFor(/removed (\S+) from JIG-1\/1 to the shelf/);
      const deviceId = /removed (\S+) from/.exec(out)![1]!;
      child.stdin.write('power 2/4 off\ntruth\n');
      await waitFor(new RegExp(`shelf\\s+${deviceId}`));
      const truth = (await (await fetch(`${started.control}/truth`)).json()) as { hubs: Array<{ deviceId: string; jigId: string | null }> };
      expect(truth.hubs).toEqual([expect.objectContaining({ deviceId, jigId: null })]);
      child.stdin.write('insert 2/4\n');
      await waitFor(/error: SIM_ACTION_INVALID: .*stock list is empty/);
      child.stdin.write('quit\n');
      await new Promise((resolve) => child.once('exit', resolve));
      expect(child.exitCode).toBe(0);
    } finally {
      child.kill();
    }
  });
});
