import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it), or CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** A real headless Chromium; no browser download, no network (every test talks to 127.0.0.1). */
export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error('no Chromium: apt-get install chromium, or set CHROMIUM_PATH');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions', '--autoplay-policy=no-user-gesture-required'],
  });
}

/** The page's `document`, typed just enough for predicates that run in the browser (tests compile without the DOM lib). */
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
}
export interface PageDocument {
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  querySelector(selector: string): PageElement | null;
}
export const pageDocument = (): PageDocument => (globalThis as unknown as { document: PageDocument }).document;
