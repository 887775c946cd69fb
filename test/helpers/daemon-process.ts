import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';

export interface DaemonProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the API base URL once the daemon logs "flashd ready". */
  ready: Promise<string>;
}

/**
 * Runs the daemon as a real child process, as systemd would: src/main.ts through tsx, or a compiled
 * main.js (see {@link compileDaemon}) where a test starts it many times and start-up time counts.
 */
export function startDaemon(args: string[], env: Record<string, string> = {}, entry?: string): DaemonProcess {
  const argv = entry ? [entry, ...args] : ['--import', 'tsx', join(PACKAGE_ROOT, 'src/main.ts'), ...args];
  const child = spawn(process.execPath, argv, {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const ready = new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const line = out.split('\n').find((l) => l.includes('"flashd ready"'));
      if (line) {
        child.stdout.off('data', check);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`daemon exited with ${code} before ready:\n${err}\n${out.slice(-2000)}`)));
  });
  ready.catch(() => undefined);
  return { child, stdout: () => out, stderr: () => err, exited, ready };
}

/**
 * Compiles the project once into a fresh folder under .tmp/ (inside the package, so flashd finds
 * its firmware-images) and returns the compiled main.js: half the start-up time of tsx.
 */
export async function compileDaemon(): Promise<string> {
  mkdirSync(join(PACKAGE_ROOT, '.tmp'), { recursive: true });
  const outDir = mkdtempSync(join(PACKAGE_ROOT, '.tmp', 'compiled-'));
  const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', join(PACKAGE_ROOT, 'tsconfig.json'), '--outDir', outDir], { cwd: PACKAGE_ROOT });
  return join(outDir, 'src', 'main.js');
}
