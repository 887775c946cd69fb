import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
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
 * Transpiles the daemon's sources (src, jig-sim, firmware-images; esbuild, no type check: the
 * suite's typecheck does that) once into a fresh folder under .tmp/ (inside the package, so flashd
 * finds its firmware-images) and returns the compiled jig-sim main.js: half the start-up time of
 * tsx, in about a second rather than tsc's minute on a loaded host.
 */
export async function compileDaemon(): Promise<string> {
  mkdirSync(join(PACKAGE_ROOT, '.tmp'), { recursive: true });
  const outDir = mkdtempSync(join(PACKAGE_ROOT, '.tmp', 'compiled-'));
  const sources = ['src', 'jig-sim', 'firmware-images'].flatMap((top) =>
    readdirSync(join(PACKAGE_ROOT, top), { recursive: true, encoding: 'utf8' })
      .map((f) => join(top, f))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith(join('src', 'dashboard', 'client'))),
  );
  const { build } = await import('esbuild');
  await build({
    entryPoints: sources.map((f) => join(PACKAGE_ROOT, f)),
    outdir: outDir,
    outbase: PACKAGE_ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  return join(outDir, 'jig-sim', 'main.js');
}
