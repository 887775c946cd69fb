import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';

const unit = join(PACKAGE_ROOT, 'systemd/flashd.service');
const analyzer = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('systemd unit', () => {
  it('keeps the Node-specific traps out and the serial ports in', () => {
    const text = readFileSync(unit, 'utf8');
    expect(text).not.toMatch(/^MemoryDenyWriteExecute=yes/m); // V8 needs W+X pages
    expect(text).not.toMatch(/^PrivateDevices=yes/m); // would hide /dev/ttyUSB*
    expect(text).toMatch(/^DevicePolicy=closed$/m);
    expect(text).toMatch(/^DeviceAllow=char-ttyUSB rw$/m);
    expect(text).toMatch(/^CapabilityBoundingSet=$/m);
    expect(text).toMatch(/^RestartPreventExitStatus=65 78$/m);
  });

  it('lets V8 call pkey_alloc, which systemd 252 keeps out of @system-service (Node died with status=31/SYS)', () => {
    const filters = readFileSync(unit, 'utf8').match(/^SystemCallFilter=[^~].*$/gm) ?? [];
    expect(filters.some((line) => line.split(/[= ]/).includes('@pkey')) || /^SystemCallErrorNumber=/m.test(readFileSync(unit, 'utf8'))).toBe(true);
  });

  it('takes unlock keys from the credential store, so a manufacturer without a key does not fail the start (243/CREDENTIALS)', () => {
    const credentials = readFileSync(unit, 'utf8').match(/^LoadCredential=.*$/gm) ?? [];
    expect(credentials.length).toBeGreaterThan(0);
    for (const line of credentials) expect(line).toMatch(/^LoadCredential=unlock-[0-9A-F]{4}$/);
  });

  it('is Type=notify with a watchdog, and takes notifications from the main PID only (flashd sends them itself)', () => {
    const text = readFileSync(unit, 'utf8');
    expect(text).toMatch(/^Type=notify$/m);
    expect(text).toMatch(/^NotifyAccess=main$/m);
    expect(text).toMatch(/^WatchdogSec=\d+s$/m);
    // The notification socket is AF_UNIX: the address-family allow list must keep it.
    expect(text).toMatch(/^RestrictAddressFamilies=.*\bAF_UNIX\b/m);
  });

  it.skipIf(!analyzer)('verifies cleanly and scores at most 1.5 exposure (systemd-analyze, offline)', () => {
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(verify.stderr.split('\n').filter((l) => l.includes('flashd.service'))).toEqual([]);
    const out = execFileSync('systemd-analyze', ['security', '--offline=true', '--threshold=20', unit], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for flashd\.service: ([\d.]+)/.exec(out)?.[1]);
    expect(score).toBeLessThanOrEqual(1.5);
  });
});
