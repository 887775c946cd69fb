import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { parseFirmwareVersion } from '../../src/domain/identifiers.js';
import { BenchHarness } from '../helpers/bench-harness.js';

interface GuardsReply {
  canaries: Array<{ model: string; version: string; status: string }>;
  actions: Array<{ kind: string }>;
}
interface ErrorReply {
  error: { code: string };
}

/**
 * Issue 13, image canary: a model whose new image never boots (every hub comes back on its old
 * version: READBACK_MISMATCH). The canary flashes two hubs of it at a time; they fail, the model
 * halts, and no further hub of that model is touched, across a restart, until a supervisor resumes
 * it. Another model flashes on meanwhile.
 */
describe('image canary on a bad image', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('stops the model after the first canary batch; the held hubs are never flashed', async () => {
    const all = generateStock({ seed: 'canary', count: 60 });
    const [badModel, goodModel] = [all[0]!.model, all[1]!.model];
    const bad = all.filter((s) => s.model === badModel).slice(0, 6);
    const good = all.filter((s) => s.model === goodModel).slice(0, 2);
    harness = new BenchHarness({
      stock: [...bad, ...good],
      workOrder: true,
      profile: INSTANT_HUB_PROFILE,
      transport: 'in-process',
      config: { guards: { enabled: true } },
    });
    // The new image of `badModel` does not boot: every hub of it falls back to the version it had.
    for (let slot = 1; slot <= 6; slot++) {
      const hub = harness.simulator.jig(1).slot(slot).hub!;
      hub.defects.bootVersion = { version: parseFirmwareVersion(bad[slot - 1]!.firmwareVersion), times: 1000 };
    }
    await harness.start();
    const version = harness.catalog.latestFor(bad[0]!.manufacturer, badModel)!.version;

    // 2 canary hubs of the bad model fail, 4 are held; the good model's 2 hubs pass.
    await harness.finished(8, 60_000);
    await harness.bench.idle();
    const byHub = new Map(harness.results.map((r) => [r.result.identity?.deviceId, r.result]));
    const flashed = bad.filter((s) => byHub.get(s.deviceId)?.result === 'FAILED' || byHub.get(s.deviceId)?.result === 'SCRAP');
    expect(flashed).toHaveLength(2);
    for (const s of flashed) expect(byHub.get(s.deviceId)?.error?.code).toBe('READBACK_MISMATCH');
    for (const s of good) expect(byHub.get(s.deviceId)?.result).toBe('REFLASHED');
    const held = bad.filter((s) => !flashed.includes(s));
    for (const s of held) {
      // Never touched: no attempt on record, the hub still runs what it came with, and the slot says why.
      expect(harness.store.getHub(s.deviceId)).toBeUndefined();
      expect(harness.simulator.findHub(s.deviceId)!.hub.runningVersion).toBe(s.firmwareVersion);
      const view = harness.bench.slots().find((v) => v.deviceId === s.deviceId)!;
      expect(view).toMatchObject({ result: 'REJECTED', error: { code: 'MODEL_HALTED' } });
    }
    const app = await harness.api();
    const guards = (await app.inject({ method: 'GET', url: '/api/v1/guards' })).json<GuardsReply>();
    expect(guards.canaries).toContainEqual(expect.objectContaining({ model: badModel, version, status: 'FAILED' }));
    expect(guards.actions.map((a) => a.kind)).toContain('CANARY_FAILED');
    const snapshot = harness.daemon.events.snapshot().alarms.map((a) => a.code);
    expect(snapshot).toContain('MODEL_HALTED');
    expect(await harness.metrics.text()).toMatch(/flashd_guard_models_halted 1/);

    // A restart remembers the halt: the held hubs are identified again and still not flashed.
    const before = harness.results.length;
    await harness.restartDaemon({ crash: false });
    await harness.finished(before + 8, 60_000);
    await harness.bench.idle();
    for (const s of held) expect(harness.store.getHub(s.deviceId)).toBeUndefined();

    const attempts = (): number => bad.reduce((n, s) => n + (harness!.store.getHub(s.deviceId)?.attempts.length ?? 0), 0);
    const attemptsBefore = attempts();
    expect(attemptsBefore).toBe(2);
    // A supervisor resumes with a note: a new canary starts; held hubs go one at a time while it
    // runs, so the first of them fails it again and at most the canary's two places were used.
    // Who resumes is who signed in (a session cookie), never a header; a resume without a note is refused.
    const signedIn = await harness.daemon.app.inject({ method: 'POST', url: '/api/v1/session', payload: { operatorId: 'sup.jones' } });
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
    const refused = await harness.daemon.app.inject({
      method: 'POST',
      url: `/api/v1/guards/models/${badModel}/${version}/resume`,
      headers: { cookie },
      payload: { note: '' },
    });
    expect(refused.statusCode).toBe(400);
    const resumed = await harness.daemon.app.inject({
      method: 'POST',
      url: `/api/v1/guards/models/${badModel}/${version}/resume`,
      headers: { cookie },
      payload: { note: 'vendor re-signed the image' },
    });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({ kind: 'MODEL_RESUMED', by: 'sup.jones', reason: 'vendor re-signed the image' });
    const again = await harness.daemon.app.inject({
      method: 'POST',
      url: `/api/v1/guards/models/${badModel}/${version}/resume`,
      headers: { cookie },
      payload: { note: 'twice' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json<ErrorReply>().error.code).toBe('GUARD_NOT_HALTED');
    const unknown = await harness.daemon.app.inject({
      method: 'POST',
      url: `/api/v1/guards/canaries/DEADBEEF/${version}/release`,
      headers: { cookie },
      payload: { note: 'typo' },
    });
    expect(unknown.statusCode).toBe(404);
    const deadline = Date.now() + 30_000;
    while (harness.daemon.guards.canaryStatus(badModel, version) !== 'FAILED' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await harness.bench.idle();
    const tried = attempts() - attemptsBefore;
    expect(tried).toBeGreaterThanOrEqual(1);
    expect(tried).toBeLessThanOrEqual(2);
    expect(harness.daemon.guards.canaryStatus(badModel, version)).toBe('FAILED');
  }, 120_000);
});
