/**
 * `npm run soak -- --kills 1000`: the kill soak of test/soak/kill-soak-run.ts at length (the suite
 * runs 10 kills in test/fault/n3-daemon-crash.test.ts). `--until 2026-12-01T06:00Z` stops the kills
 * at that time if they are not done (the figures say how many were). Prints progress every 10 kills and the
 * figures at the end; exits 1 if any check failed.
 */
import { parseArgs } from 'node:util';
import { runKillSoak } from './kill-soak-run.js';

const { values } = parseArgs({ options: { kills: { type: 'string', default: '50' }, until: { type: 'string' } } });
const stopAt = values.until === undefined ? undefined : Date.parse(values.until);
if (stopAt !== undefined && Number.isNaN(stopAt)) {
  console.error(`--until must be a date and time (ISO 8601), got ${values.until}`);
  process.exit(2);
}
const kills = Number(values.kills);
if (!Number.isInteger(kills) || kills < 1) {
  console.error(`--kills must be a positive integer, got ${values.kills}`);
  process.exit(2);
}
const started = Date.now();
const report = await runKillSoak({
  kills,
  ...(stopAt === undefined ? {} : { stopAt }),
  onKill: (kill, problems) => {
    for (const p of problems) console.log(`VIOLATION ${p}`);
    if (kill % 10 === 0) {
      const minutes = (Date.now() - started) / 60_000;
      console.log(`${new Date().toISOString()} kill ${kill}/${kills}, ${(kill / minutes).toFixed(1)} kills/min`);
    }
  },
});
console.log(JSON.stringify({ ...report, problems: report.problems.length, firstProblems: report.problems.slice(0, 20) }));
const failed = report.problems.length > 0 || report.orderMismatch || report.tokenLogged;
const figures = `${report.kills} kills (${report.earlyKills} during start-up), ${report.hubs} hubs reported, ${report.attempts} attempts, ${Math.round(report.durationMs / 1000)} s, ${report.killsPerMinute.toFixed(1)} kills/min`;
console.log(`${failed ? 'SOAK FAILED' : 'SOAK OK'}: ${figures}`);
process.exit(failed ? 1 : 0);
