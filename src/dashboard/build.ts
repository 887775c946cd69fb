import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PACKAGE_ROOT } from '../config/package-root.js';
import { DEFAULT_ASSETS_DIR } from './plugin.js';

const CLIENT = join(PACKAGE_ROOT, 'src', 'dashboard', 'client');

/**
 * Bundles the page into `outDir` (app.js, app.css, index.html): one script, one style sheet, no
 * network at run time. Part of `npm run build`; tests call it before they start a daemon.
 */
export async function buildDashboard(outDir: string = DEFAULT_ASSETS_DIR): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(CLIENT, 'main.ts') },
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari16'],
    outdir: outDir,
    logLevel: 'warning',
  });
  await build({ entryPoints: { app: join(CLIENT, 'styles.css') }, bundle: true, minify: true, outdir: outDir, logLevel: 'warning' });
  await copyFile(join(CLIENT, 'index.html'), join(outDir, 'index.html'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildDashboard(process.argv[2]);
  process.stdout.write(`dashboard built into ${process.argv[2] ?? DEFAULT_ASSETS_DIR}\n`);
}
