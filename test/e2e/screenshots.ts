import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { startDaemon } from '../helpers/daemon-process.js';
import { launchChromium, type PageDocument } from './browser.js';

/**
 * `npm run screenshots`: the bench view with the 8 demo hubs mid-flash and done, at 1920×1080 and
 * 1366×768, into docs/images/ (shown in README.md and docs/dashboard.md).
 */
const out = join(PACKAGE_ROOT, 'docs', 'images');
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'flashd-shots-'));
const config = join(dir, 'flashd.json');
writeFileSync(
  config,
  JSON.stringify({ store: { path: join(dir, 'flashd.db') }, api: { port: 0 }, simulator: { profile: 'model', technician: { enabled: false } } }),
);
const daemon = startDaemon(['--config', config], {}, join(PACKAGE_ROOT, 'dist', 'jig-sim', 'main.js'));
const browser = await launchChromium();
try {
  const url = await daemon.ready;
  for (const [width, height] of [
    [1920, 1080],
    [1366, 768],
  ] as const) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(url);
    await page.waitForSelector('.tile[data-kind="working"]');
    await page.waitForFunction(
      () =>
        [...(globalThis as unknown as { document: PageDocument }).document.querySelectorAll('.percent')].some(
          (e) => Number.parseInt(e.textContent ?? '', 10) >= 40,
        ),
      undefined,
      { timeout: 60_000 },
    );
    if (width === 1920) {
      await page.screenshot({ path: join(out, `bench-flashing-${width}.png`) });
    }
    await page.close();
  }
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(url);
  await page.waitForFunction(
    () => (globalThis as unknown as { document: PageDocument }).document.querySelectorAll('.tile[data-kind="done"], .tile[data-kind="current"]').length === 8,
    undefined,
    { timeout: 120_000 },
  );
  // The side panels redraw a moment after the last result.
  await page.waitForFunction(
    () => (globalThis as unknown as { document: PageDocument }).document.querySelector('.wo-head')?.textContent?.includes('8/8') === true,
    undefined,
    { timeout: 30_000 },
  );
  await page.screenshot({ path: join(out, 'bench-done-1920.png') });
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: join(out, 'bench-done-1366.png') });
  await page.close();
} finally {
  daemon.child.kill('SIGTERM');
  await daemon.exited;
}

// The training scenario: one hub of each kind of trouble, so the page shows its problem states.
writeFileSync(
  config,
  JSON.stringify({
    store: { path: join(dir, 'faults.db') },
    api: { port: 0 },
    simulator: { technician: { enabled: false }, scenario: join(PACKAGE_ROOT, 'jig-sim', 'scenarios', 'bad-hubs.json') },
  }),
);
const faulty = startDaemon(['--config', config], {}, join(PACKAGE_ROOT, 'dist', 'jig-sim', 'main.js'));
try {
  const url = await faulty.ready;
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(url);
  // Settled: nothing working any more and at least four problem tiles (or 60 s, whatever shows then).
  await page
    .waitForFunction(
      () => {
        const doc = (globalThis as unknown as { document: PageDocument }).document;
        return (
          doc.querySelectorAll('.tile[data-kind="working"]').length === 0 &&
          doc.querySelectorAll('.tile[data-kind="failed"], .tile[data-kind="scrap"], .tile[data-kind="rejected"]').length >= 4
        );
      },
      undefined,
      { timeout: 60_000 },
    )
    .catch(() => undefined);
  await page.screenshot({ path: join(out, 'bench-faults-1920.png') });
  process.stdout.write(`screenshots in ${out}\n`);
} finally {
  await browser.close();
  faulty.child.kill('SIGTERM');
  await faulty.exited;
  rmSync(dir, { recursive: true, force: true });
}
