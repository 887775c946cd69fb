import { readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';
import { formatTable, type Metric } from './metrics.js';
import { otaFileBody } from './perf-catalog.js';
import { linkCompressible } from './scenarios/link-compressible.js';
import { linkImage } from './scenarios/link-image.js';
import { linkIncompressible } from './scenarios/link-incompressible.js';
import { linkNoisy } from './scenarios/link-noisy.js';
import { pipelineOverhead } from './scenarios/pipeline-overhead.js';
import { storeAge } from './scenarios/store-age.js';
import { resume } from './scenarios/resume.js';
import { scale } from './scenarios/scale.js';
import { sessionPhases } from './scenarios/session-phases.js';
import { shift } from './scenarios/shift.js';

/**
 * `npm run bench [-- --json] [--only name,...] [--quick] [--jigs N] [--image FILE]... [--shift]`:
 * runs the scenarios against the simulator and prints a table (or a JSON array of metrics). Each
 * figure is set against its physical limit measured in the same run, since the machine is shared
 * and noisy. `--image` (repeatable) and `--shift` alone run only those; `--only` picks by name.
 */
const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    only: { type: 'string' },
    quick: { type: 'boolean' },
    jigs: { type: 'string' },
    image: { type: 'string', multiple: true },
    shift: { type: 'boolean' },
  },
});
const jigs = values.jigs === undefined ? 3 : Number(values.jigs);
if (!Number.isInteger(jigs) || jigs < 1 || jigs > 64) {
  process.stderr.write(`--jigs must be a whole number from 1 to 64, got ${values.jigs}\n`);
  process.exit(2);
}
const images = values.image ?? [];
// Refuse a file that is not OTA before any scenario runs, naming it.
for (const file of images) {
  try {
    otaFileBody(file);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}
const quick = values.quick === true;
const only =
  values.only?.split(',') ?? (images.length > 0 || values.shift ? [...(images.length > 0 ? ['image'] : []), ...(values.shift ? ['shift'] : [])] : undefined);
const want = (name: string): boolean => !only || only.includes(name);
// Without --image, the image rows are the real OTA samples (test/fixtures/ota-samples).
const samples = join(PACKAGE_ROOT, 'test/fixtures/ota-samples');
const imageFiles =
  images.length > 0
    ? images
    : readdirSync(samples)
        .filter((f) => f.endsWith('.ota'))
        .sort()
        .map((f) => join(samples, f));

const scenarios: Array<[string, () => Promise<Metric[]>]> = [
  ['link-incompressible', () => linkIncompressible({ jigs })],
  ['link-compressible', () => linkCompressible({ jigs })],
  ['image', () => eachImage(imageFiles, jigs)],
  ['resume', () => resume()],
  ['link-noisy', () => linkNoisy()],
  ['session-phases', () => sessionPhases()],
  ['pipeline-overhead', () => pipelineOverhead({ jigs, durationMs: quick ? 3000 : 10_000 })],
  ['store-age', () => storeAge({ jigs, durationMs: quick ? 3000 : 10_000, agedHubs: quick ? 25_000 : 256_000 })],
  ['scale', () => scale({ jigs: quick ? 8 : 64 })],
  ['shift', () => shift({ quick })],
];

/** One row per image, one image at a time (each has every slot to itself). */
async function eachImage(files: readonly string[], jigCount: number): Promise<Metric[]> {
  const rows: Metric[] = [];
  for (const file of files) rows.push(...(await linkImage({ file, jigs: jigCount })));
  return rows;
}

const load = { before: loadavg(), cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown' };
const metrics: Metric[] = [];
for (const [name, run] of scenarios) {
  if (!want(name)) continue;
  if (!values.json) process.stderr.write(`running ${name}…\n`);
  metrics.push(...(await run()));
}
if (values.json) {
  process.stdout.write(
    `${JSON.stringify(
      metrics.map(({ note: _note, ...m }) => m),
      null,
      2,
    )}\n`,
  );
} else {
  process.stdout.write(`${formatTable(metrics)}\n\n`);
  process.stdout.write(
    `machine: ${load.cpus} CPUs (${load.model}), load average before ${load.before.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; node ${process.version}\n`,
  );
}
