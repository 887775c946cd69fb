import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { metric, type Metric } from '../metrics.js';
import { COMPRESSIBLE_SAMPLES, sampleBody } from '../perf-catalog.js';
import { FAST_FLASH_PROFILE, LINK_BAUD, LINK_LATENCY_MS, mean } from './link-incompressible.js';
import { lineBytesPerSecond, runLinkScenario } from './link-run.js';

/**
 * The real OTA samples that deflate (five of six), each wrapped for one model, to every slot at
 * once. Blocks go deflated where that is smaller; the line should stay as full as with raw data,
 * and the image should arrive faster than the line rate by about the compression ratio.
 */
export async function linkCompressible(o: { jigs: number }): Promise<Metric[]> {
  const bodies = new Map(COMPRESSIBLE_SAMPLES.map((file, i) => [DEVICE_MODELS[i]!, sampleBody(file)]));
  const run = await runLinkScenario({
    bodies,
    jigs: o.jigs,
    timing: { paced: true, baudRate: 115_200, latencyMs: LINK_LATENCY_MS },
    profile: FAST_FLASH_PROFILE,
  });
  try {
    const ok = run.results.filter((r) => r.result.result === 'REFLASHED' && r.result.transfer);
    const per = ok.map(({ result }) => {
      const t = result.transfer!;
      const capacity = (t.elapsedMs / 1000) * lineBytesPerSecond(LINK_BAUD);
      return { wire: t.wireBytes / capacity, speedup: t.imageBytes / capacity, ratio: t.imageBytes / t.wireBytes };
    });
    const slots = o.jigs * 8;
    const wire = per.map((p) => p.wire);
    const slowest = per.reduce((a, b) => (b.speedup < a.speedup ? b : a));
    // With the line full, an image arrives at line rate × (image / wire bytes): the limit for its speed-up.
    return [
      metric(
        'link-compressible',
        'wire-efficiency',
        Math.min(...wire),
        'ratio',
        1,
        `min over ${ok.length}/${slots} slots; mean ${mean(wire).toFixed(3)}; target ≥ 0.93`,
      ),
      metric(
        'link-compressible',
        'effective-speedup',
        slowest.speedup,
        '× line',
        slowest.ratio,
        `slowest slot; limit = its image/wire bytes (4 KiB blocks, dictionary deflate with 1.1 hubs); mean ${mean(per.map((p) => p.speedup)).toFixed(3)}`,
      ),
    ];
  } finally {
    run.catalog.remove();
  }
}
