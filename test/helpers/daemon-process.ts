import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';

export type DaemonProcess = CapturedProcess<string>;

/** A child process whose output is captured, and which says by a line on stdout that it is ready. */
export interface CapturedProcess<T> {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  ready: Promise<T>;
}

/**
 * Spawns `node argv` in the package folder, captures stdout and stderr, and resolves `ready` with
 * what `readyFrom` finds in stdout (undefined: not yet); rejects it if the child exits first.
 */
export function spawnCaptured<T>(
  argv: string[],
  env: Record<string, string>,
  readyFrom: (stdout: string) => T | undefined,
  stdin: 'ignore' | 'pipe' = 'ignore',
): CapturedProcess<T> {
  const child = spawn(process.execPath, argv, { cwd: PACKAGE_ROOT, env: { ...process.env, ...env }, stdio: [stdin, 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined); // a child killed before it read its input
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const ready = new Promise<T>((resolve, reject) => {
    const check = (): void => {
      const found = readyFrom(out);
      if (found === undefined) return;
      child.stdout!.off('data', check);
      resolve(found);
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`child exited with ${code} before ready:\n${err.slice(-2000)}\n${out.slice(-2000)}`)));
  });
  ready.catch(() => undefined);
  return { child, stdout: () => out, stderr: () => err, exited, ready };
}

/** The production daemon (real jigs only) and flashd with the built-in simulator, as sources. */
export const PRODUCTION_MAIN = join(PACKAGE_ROOT, 'src/main.ts');
export const SIMULATOR_MAIN = join(PACKAGE_ROOT, 'jig-sim/main.ts');

/**
 * Runs the daemon as a real child process, as systemd would: jig-sim/main.ts (flashd with the
 * built-in simulator; the same runDaemon as src/main.ts) through tsx, or a compiled main.js (see {@link compileDaemon}) where a test starts it many times and start-up time counts.
 * `ready` resolves with the API base URL once the daemon logs "flashd ready".
 */
export function startDaemon(args: string[], env: Record<string, string> = {}, entry?: string): DaemonProcess {
  const main = entry ?? SIMULATOR_MAIN;
  const argv = main.endsWith('.ts') ? ['--import', 'tsx', main, ...args] : [main, ...args];
  return spawnCaptured(argv, env, (out) => {
    const line = out.split('\n').find((l) => l.includes('"flashd ready"'));
    return line ? (JSON.parse(line) as { url: string }).url : undefined;
  });
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
  return join(outDir, 'jig-sim', 'main.js');
}
