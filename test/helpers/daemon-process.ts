import { spawn, type ChildProcess } from 'node:child_process';
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

/** Runs src/main.ts as a real child process (through tsx), as systemd would run the daemon. */
export function startDaemon(args: string[], env: Record<string, string> = {}): DaemonProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PACKAGE_ROOT, 'src/main.ts'), ...args], {
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
