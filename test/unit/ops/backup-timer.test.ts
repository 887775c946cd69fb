import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';

const service = join(PACKAGE_ROOT, 'systemd/flashd-backup.service');
const timer = join(PACKAGE_ROOT, 'systemd/flashd-backup.timer');
const analyzer = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('daily backup timer', () => {
  it('copies the store file as the flashd user, verifies the copy and keeps 14 days, without network', () => {
    const text = readFileSync(service, 'utf8');
    expect(text).toMatch(/^User=flashd$/m);
    expect(text).toMatch(/^PrivateNetwork=yes$/m);
    const exec = /^ExecStart=(.*)$/m.exec(text)![1]!;
    expect(exec).toContain('flashctl/main.js backup');
    expect(exec).toContain('--store /var/lib/flashd/flashd.db');
    expect(exec).toMatch(/-mtime \+14 -delete/);
    expect(readFileSync(timer, 'utf8')).toMatch(/^Persistent=true$/m);
  });

  it.skipIf(!analyzer)('verifies cleanly and scores at most 1.0 exposure (systemd-analyze, offline)', () => {
    const verify = spawnSync('systemd-analyze', ['verify', service, timer], { encoding: 'utf8' });
    expect(verify.stderr.split('\n').filter((l) => l.includes('flashd-backup'))).toEqual([]);
    const out = execFileSync('systemd-analyze', ['security', '--offline=true', '--threshold=20', service], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for flashd-backup\.service: ([\d.]+)/.exec(out)?.[1]);
    expect(score).toBeLessThanOrEqual(1.0);
  });
});
