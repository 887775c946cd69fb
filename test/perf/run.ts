import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { formatTable, type Metric } from './metrics.js';
import { linkCompressible } from './scenarios/link-compressible.js';
import { linkIncompressible } from './scenarios/link-incompressible.js';
import { linkNoisy } from './scenarios/link-noisy.js';
import { pipelineOverhead } from './scenarios/pipeline-overhead.js';
import { resume } from './scenarios/resume.js';

/**
 * `npm run bench [-- --json] [--only name,...] [--quick]`: runs the scenarios against the simulator
 * and prints a table (or a JSON array of metrics). Each figure is set against its physical limit
 * measured in the same run, since the machine is shared and noisy.
 */
const { values } = parseArgs({ options: { json: { type: 'boolean' }, only: { type: 'string' }, quick: { type: 'boolean' } } });
const only = values.only?.split(',');
const quick = values.quick === true;
const want = (name: string): boolean => !only || only.includes(name);

const scenarios: Array<[string, () => Promise<Metric[]>]> = [
  ['link-incompressible', () => linkIncompressible({ jigs: 3 })],
  ['link-compressible', () => linkCompressible({ jigs: 3 })],
  ['resume', () => resume()],
  ['link-noisy', () => linkNoisy()],
  ['pipeline-overhead', () => pipelineOverhead({ jigs: 3, durationMs: quick ? 3000 : 10_000 })],
];

const load = { before: loadavg(), cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown' };
const metrics: Metric[] = [];
for (const [name, run] of scenarios) {
  if (!want(name)) continue;
  if (!values.json) process.stderr.write(`running ${name}…\n`);
  metrics.push(...(await run()));
}
if (values.json) {
  process.stdout.write(`${JSON.stringify(metrics.map(({ note: _note, ...m }) => m), null, 2)}\n`);
} else {
  process.stdout.write(`${formatTable(metrics)}\n\n`);
  process.stdout.write(`machine: ${load.cpus} CPUs (${load.model}), load average before ${load.before.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}\n`);
}
