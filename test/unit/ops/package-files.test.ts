import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { PACKAGE_ROOT } from '../../../src/config/package-root.js';

const packaging = join(PACKAGE_ROOT, 'packaging');
const dpkgDeb = spawnSync('dpkg-deb', ['--version']).status === 0;

/** The package's own files, without building it (test/ops/package.sh builds, installs and purges it). */
describe('Debian package files', () => {
  it('ships a commented default config that loads as it is: no jigs, simulator off, store in the StateDirectory', async () => {
    const { config } = await loadConfig({ file: join(packaging, 'flashd.json'), env: {} });
    expect(config.simulator.enabled).toBe(false);
    expect(config.jigs).toEqual([]);
    expect(config.store.path).toBe('/var/lib/flashd/flashd.db');
    expect(config.images.trustedKeyFiles).toEqual(['/opt/flashd/firmware-images/keys/demo-signing.pub.pem']);
    expect(readFileSync(join(packaging, 'flashd.json'), 'utf8')).toMatch(/^\/\/ /m);
  });

  it('takes only whole-line comments: a // after a value is still a JSON error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashd-cfg-'));
    try {
      const file = join(dir, 'flashd.json');
      writeFileSync(file, '{\n  // a comment\n  "benchId": "B-2"\n}\n');
      expect((await loadConfig({ file, env: {} })).config.benchId).toBe('B-2');
      writeFileSync(file, '{\n  "benchId": "B-2" // not a comment line\n}\n');
      await expect(loadConfig({ file, env: {} })).rejects.toMatchObject({ code: 'CONFIG_UNREADABLE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has maintainer scripts that parse and refuse an action they do not know', () => {
    for (const script of ['postinst', 'prerm', 'postrm']) {
      expect(spawnSync('sh', ['-n', join(packaging, script)]).status).toBe(0);
    }
    expect(spawnSync('sh', [join(packaging, 'postinst'), 'frobnicate']).status).toBe(1);
    expect(spawnSync('sh', [join(packaging, 'postrm'), 'frobnicate']).status).toBe(1);
  });

  it('keeps the store on remove and deletes it only on purge', () => {
    const postrm = readFileSync(join(packaging, 'postrm'), 'utf8');
    const purge = postrm.slice(postrm.indexOf('purge)'), postrm.indexOf(';;', postrm.indexOf('purge)')));
    const remove = postrm.slice(postrm.indexOf('remove)'), postrm.indexOf(';;', postrm.indexOf('remove)')));
    expect(purge).toMatch(/rm -rf \/var\/lib\/flashd \/etc\/flashd/);
    expect(remove).not.toMatch(/\/var\/lib\/flashd/);
  });

  it('installs the unit whose ExecStart= and the /usr/bin links point at files the build puts in place', () => {
    const build = readFileSync(join(packaging, 'build-deb.sh'), 'utf8');
    const unit = readFileSync(join(PACKAGE_ROOT, 'systemd/flashd.service'), 'utf8');
    const main = /^ExecStart=\/usr\/bin\/node (\S+)/m.exec(unit)?.[1];
    expect(main).toBe('/opt/flashd/dist/src/main.js');
    expect(build).toContain('ln -s /opt/flashd/dist/src/flashctl/main.js "$ROOT/usr/bin/flashctl"');
    expect(build).toMatch(/cp -a dist\/src /);
    expect(build).toMatch(/^Depends: \$NODE_DEP/m);
  });

  it.skipIf(!dpkgDeb)('builds (system files only) into a .deb whose control data, conffiles and file modes are right', () => {
    const out = mkdtempSync(join(tmpdir(), 'flashd-deb-'));
    try {
      const built = spawnSync(join(packaging, 'build-deb.sh'), [], {
        env: { ...process.env, FLASHD_DEB_META_ONLY: '1', FLASHD_DEB_OUT: out, FLASHD_DEB_VERSION: '9.8.7-1' },
        encoding: 'utf8',
      });
      expect(built.status, built.stderr).toBe(0);
      const deb = built.stdout.trim();
      const field = (name: string): string => spawnSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).stdout.trim();
      expect(field('Package')).toBe('flashd');
      expect(field('Version')).toBe('9.8.7-1');
      expect(field('Architecture')).toBe(spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim());
      const major = process.versions.node.split('.')[0]!;
      // The native modules are built for this Node's ABI: the dependency pins its major.
      expect(field('Depends')).toMatch(new RegExp(`^nodejs \\(>= ${major}(\\.\\d+)?\\), nodejs \\(<< ${Number(major) + 1}\\), systemd, adduser$`));
      const listing = spawnSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' }).stdout;
      const mode = (path: string): string | undefined =>
        listing
          .split('\n')
          .find((l) => l.endsWith(` .${path}`))
          ?.split(/\s+/)
          .slice(0, 2)
          .join(' ');
      expect(mode('/lib/systemd/system/flashd.service')).toBe('-rw-r--r-- root/root');
      expect(mode('/usr/lib/sysusers.d/flashd.conf')).toBe('-rw-r--r-- root/root');
      expect(mode('/usr/lib/tmpfiles.d/flashd.conf')).toBe('-rw-r--r-- root/root');
      expect(mode('/lib/udev/rules.d/99-flashd-jigs.rules')).toBe('-rw-r--r-- root/root');
      expect(mode('/etc/flashd/flashd.json')).toBe('-rw-r--r-- root/root');
      const control = join(out, 'control');
      expect(spawnSync('dpkg-deb', ['-e', deb, control]).status).toBe(0);
      expect(readFileSync(join(control, 'conffiles'), 'utf8')).toBe('/etc/flashd/flashd.json\n');
      for (const script of ['postinst', 'prerm', 'postrm']) expect(statSync(join(control, script)).mode & 0o777).toBe(0o755);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
