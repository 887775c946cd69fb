import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../src/dashboard/build.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';
import { waitFor } from '../helpers/wait-for.js';
import { CHROMIUM_PATH, launchChromium, type PageDocument } from './browser.js';

/**
 * The technician's page in a real Chromium against a real daemon with its built-in simulator
 * (TCP links, worker sessions, SQLite on disk). Everything waits for DOM states, never for time.
 */
const FAULTY = '00-DB-12-E2-E0-00-00-01';
const SPARE = '00-DB-12-E2-E0-00-00-02';
const DONE = '.tile[data-kind="done"], .tile[data-kind="current"]';
const tile = (slot: number): string => `.tile[data-jig="JIG-1"][data-slot="${slot}"]`;

interface SlotJson {
  slot: number;
  deviceId: string | null;
  result: string | null;
  firmwareVersion: string | null;
}

/** This file's pages are slow to settle under a loaded browser: a minute by default, probed every 100 ms. */
const until = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> =>
  waitFor(what, probe, { timeoutMs, intervalMs: 100 });

// Skipped only on a developer machine without Chromium; CI installs it and must run these.
describe.skipIf(!CHROMIUM_PATH && !process.env.CI)('dashboard in Chromium', () => {
  let dir: string;
  let config: string;
  let port: number;
  let base: string;
  let daemon: DaemonProcess;
  let control: string;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];
  const intakeRequests: string[] = [];
  let loads = 0;

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${base}${path}`, init);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const sim = async (action: object): Promise<void> => {
    const res = await fetch(`${control}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(action) });
    if (!res.ok) throw new Error(`sim action: ${res.status} ${await res.text()}`);
  };
  const start = async (): Promise<void> => {
    daemon = startDaemon(['--config', config]);
    base = await daemon.ready;
    const simLine = daemon
      .stdout()
      .split('\n')
      .find((l) => l.includes('"built-in jig simulator started"'))!;
    control = (JSON.parse(simLine) as { control: string }).control;
  };
  const stop = async (): Promise<void> => {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  };

  beforeAll(async () => {
    await buildDashboard();
    dir = mkdtempSync(join(tmpdir(), 'flashd-e2e-'));
    port = await freePort();
    const scenario = join(dir, 'scenario.json');
    // The hub scanned in later refuses every unlock and locks itself out on the second try.
    writeFileSync(scenario, JSON.stringify({ faults: [{ kind: 'unlock-refused', target: { deviceId: FAULTY }, lockoutAfter: 2 }] }));
    config = join(dir, 'flashd.json');
    writeFileSync(
      config,
      JSON.stringify({ store: { path: join(dir, 'flashd.db') }, api: { port }, simulator: { technician: { enabled: false }, scenario, controlPort: 0 } }),
    );
    await start();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/intake')) intakeRequests.push(r.postData() ?? '');
    });
    page.on('load', () => loads++);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (daemon && daemon.child.exitCode === null) await stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page under a strict Content-Security-Policy', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(await res.text()).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('shows the 8 demo hubs reach REFLASHED with their read-back versions, without a reload', async () => {
    await page.goto(base);
    await page.waitForSelector('#live[data-live="true"]');
    await until('8 tiles done', async () => (await page.locator(DONE).count()) === 8, 90_000);
    const slots = (await api<{ items: SlotJson[] }>('/api/v1/slots')).items;
    expect(slots).toHaveLength(8);
    for (const s of slots) {
      const t = page.locator(tile(s.slot));
      expect(await t.getAttribute('data-result')).toBe(s.result);
      expect(await t.locator('.id-tail').textContent()).toBe(s.deviceId!.slice(12));
      expect(await t.locator('.detail').textContent()).toContain(`v${s.firmwareVersion}`);
      expect(await t.locator('.word').textContent()).toBe('Done');
      expect(await t.locator('.led').getAttribute('data-colour')).toBe('GREEN');
    }
    expect(await page.locator('#banner').textContent()).toBe('Unload 1, 2, 3, 4, 5, 6, 7, 8');
    expect(loads).toBe(1);
  }, 120_000);

  it('answers a scan at once: accepted with its work order, rejected with the reason, mistyped refused unsent', async () => {
    await api('/api/v1/work-orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'WO-E2E',
        secPartyId: 'P1',
        cspRegion: 'North',
        hubs: [FAULTY, SPARE].map((deviceId) => ({ deviceId, model: '0101030B', firmwareVersion: '00020129', smiStatus: 'Pending', smetsVersion: 'SMETS2' })),
      }),
    });
    const answer = page.locator('#scan-answer');
    await page.keyboard.type(`${FAULTY.toLowerCase()}\n`); // the scan box has focus; the scanner types and presses Enter
    await page.waitForSelector('#scan-answer[data-kind="accepted"]');
    expect(await answer.textContent()).toContain('work order WO-E2E');

    await page.keyboard.type(`${FAULTY}\n`);
    await page.waitForSelector('#scan-answer[data-kind="rejected"]');
    expect(await answer.textContent()).toContain('HUB_ALREADY_RECEIVED');

    const sent = intakeRequests.length;
    await page.keyboard.type('00-DB-12-E2\n');
    await page.waitForSelector('#scan-answer[data-kind="invalid"]');
    expect(await answer.textContent()).toContain('expected 00-DB-12-34-56-78-90-A0');
    expect(intakeRequests).toHaveLength(sent);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe('scan');
  });

  it('shows a fault in words on its tile, retries it, and confirms the proposed scrap after sign-in and a second click', async () => {
    await sim({ action: 'remove', jig: 1, slot: 3 });
    await sim({ action: 'insert', jig: 1, slot: 3, hub: { deviceId: FAULTY, model: '0101030B', firmwareVersion: '00020129' } });
    const t = page.locator(tile(3));
    await until('slot 3 to fail', async () => ['failed', 'scrap'].includes((await t.getAttribute('data-kind')) ?? ''));
    expect(await t.locator('.id-tail').textContent()).toBe(FAULTY.slice(12));
    expect(await t.locator('.detail').textContent()).toMatch(
      /UNLOCK_(REFUSED|LOCKED_OUT): (Unlock refused: retry once, then scrap|Hub locked out: confirm scrap)/,
    );
    expect(await t.locator('.led').getAttribute('data-colour')).toBe('RED');
    // Its neighbours are untouched.
    expect(await page.locator(tile(2)).getAttribute('data-kind')).toMatch(/done|current/);

    const finished = async (): Promise<number> =>
      (await api<{ attempts: Array<{ finishedAt: string | null }> }>(`/api/v1/hubs/${FAULTY}`)).attempts.filter((a) => a.finishedAt !== null).length;
    for (let i = 0; i < 3 && (await t.getAttribute('data-kind')) === 'failed'; i++) {
      const before = await finished();
      await t.locator('.tile-actions button', { hasText: 'Retry' }).click();
      await until('the retry to finish', async () => (await finished()) > before && ['failed', 'scrap'].includes((await t.getAttribute('data-kind')) ?? ''));
    }
    await page.waitForSelector(`${tile(3)}[data-kind="scrap"]`);
    expect(await t.locator('.word').textContent()).toBe('Scrap?');
    expect(await page.locator('#banner').textContent()).toMatch(/^Confirm scrap 3 · /);

    const confirm = t.locator('.tile-actions button', { hasText: 'Confirm scrap' });
    await confirm.click();
    expect(await page.locator('#action-status').textContent()).toContain('Sign in first');
    await page.fill('#operator', 'tech-e2e');
    await page.press('#operator', 'Enter');
    await page.waitForSelector('#operator-form[data-signed-in="true"]');
    expect((await api<{ operatorId: string }>('/api/v1/bench/operator')).operatorId).toBe('tech-e2e');

    await confirm.click();
    await page.waitForSelector('text=Click again: scrap');
    const hub = async (): Promise<{ state: string }> => (await api<{ items: Array<{ state: string }> }>(`/api/v1/hubs/${FAULTY}/work-orders`)).items[0]!;
    expect((await hub()).state).toBe('SCRAP_PROPOSED'); // one click does not scrap
    await t.locator('.tile-actions button').click();
    await page.waitForSelector(`${tile(3)}[data-kind="scrapped"]`);
    expect((await hub()).state).toBe('SCRAPPED');
  }, 120_000);

  it("shows a hub's history from the keyboard, and has no serious or critical accessibility violations", async () => {
    await page.locator(tile(3)).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#history:not([hidden]) .attempts tbody tr.phases');
    expect(await page.locator('#history-title').textContent()).toBe(`Hub ${FAULTY}`);
    expect(await page.locator('#history .attempts tbody tr:not(.phases)').count()).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('ArrowRight');
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string } } }).document.activeElement.getAttribute('data-slot'),
      ),
    ).toBe('4');

    const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(axeSource);
    const result = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(o: object): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe;
      const r = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(result.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it('greys a jig whose control link drops, raises the alarm, and clears both when it is back', async () => {
    await sim({ action: 'fault', fault: { kind: 'control-disconnect', target: { jig: 1 }, refuseMs: 1500 } });
    await page.waitForSelector('.jig[data-jig="JIG-1"].offline', { timeout: 30_000 });
    expect(await page.locator('.jig[data-jig="JIG-1"] .jig-link').textContent()).toContain('Offline');
    expect(await page.locator(`${tile(1)} .word`).textContent()).toBe('Jig offline');
    await page.waitForSelector('#alarms a[data-code="JIG_OFFLINE"]');
    expect(await page.locator('#alarms a[data-code="JIG_OFFLINE"]').getAttribute('href')).toBe('#help-jig-offline');
    await page.waitForSelector('.jig[data-jig="JIG-1"]:not(.offline)', { timeout: 30_000 });
    await page.waitForSelector('#alarms[data-state="ok"]', { timeout: 30_000 });
  }, 90_000);

  it('recovers by itself after the daemon restarts and shows the same state as GET /api/v1/slots', async () => {
    const stopping = Date.now();
    await stop();
    // An open page does not hold the daemon's shutdown (its stream ends before the server waits; ~50 s otherwise).
    expect(Date.now() - stopping).toBeLessThan(20_000);
    await page.waitForSelector('#live[data-live="false"]');
    await start();
    await page.waitForSelector('#live[data-live="true"]', { timeout: 30_000 });
    // The restarted simulator seats a new delivery: wait until it is flashed, then compare tile by tile.
    await until(
      'the page to match the API',
      async () => {
        const slots = (await api<{ items: SlotJson[] }>('/api/v1/slots')).items;
        if (slots.some((s) => s.result === null)) return false;
        const shown = await page.evaluate(() =>
          [...(globalThis as unknown as { document: PageDocument }).document.querySelectorAll('.tile')].map((e) => [
            e.getAttribute('data-device'),
            e.getAttribute('data-result'),
          ]),
        );
        return JSON.stringify(shown) === JSON.stringify(slots.map((s) => [s.deviceId ?? '', s.result ?? ''])) ? true : undefined;
      },
      90_000,
    );
    expect(loads).toBe(1);
  }, 150_000);
});
