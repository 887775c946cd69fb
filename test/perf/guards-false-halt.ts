/**
 * Measures the quality guards' false-halt rate at their defaults (docs/quality-guards.md):
 * `npx tsx test/perf/guards-false-halt.ts [sessionsPerRun] [runs]`. Scattered failures only, no bad
 * slot or image, so every halt it prints is a false one. Also gives the chance a canary of healthy
 * hubs fails, which is (1 - failure rate)^hubs by design: a canary accepts no failure.
 */
import { DEFAULT_GUARD_THRESHOLDS } from '../../src/domain/quality-guards.js';
import { prng, simulate } from '../helpers/guard-simulation.js';

const sessions = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 10);
for (const [hub, link] of [
  [0.01, 0.005],
  [0.02, 0.01],
  [0.03, 0.02],
  [0.05, 0.03],
] as const) {
  const byKind = new Map<string, number>();
  for (let seed = 1; seed <= runs; seed++) for (const a of simulate(sessions, { hub, link }, seed)) byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + 1);
  const total = sessions * runs;
  const halts = [...byKind.values()].reduce((a, b) => a + b, 0);
  const rand = prng(99);
  const hubs = DEFAULT_GUARD_THRESHOLDS.canary.hubs;
  let failed = 0;
  const canaries = 100_000;
  for (let c = 0; c < canaries; c++) {
    for (let h = 0; h < hubs; h++) {
      if (rand() < hub) {
        failed++;
        break;
      }
    }
  }
  console.log(
    `hub ${hub * 100} % + line ${link * 100} %: ${halts} false halts in ${total} sessions (${((halts / total) * 10_000).toFixed(3)} per 10,000)` +
      ` ${JSON.stringify(Object.fromEntries(byKind))}; canary of ${hubs} healthy-image hubs fails ${((failed / canaries) * 100).toFixed(1)} %`,
  );
}
