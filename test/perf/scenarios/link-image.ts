import { basename } from 'node:path';
import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { metric, type Metric } from '../metrics.js';
import { otaFileBody } from '../perf-catalog.js';
import { FAST_FLASH_PROFILE, LINK_BAUD, LINK_LATENCY_MS, mean } from './link-incompressible.js';
import { lineBytesPerSecond, runLinkScenario } from './link-run.js';

/**
 * `--image FILE`: one OTA file, re-wrapped for every model and signed into the benchmark's own
 * catalogue, to every slot of `jigs` jigs at once as in link-compressible. One row per image:
 * the slowest slot's effective speed-up (image bytes / line capacity over first DATA to last
 * acknowledgement) against what the line allows for this file, whole-file deflate (or 1 if that
 * does not shrink it).
 */
export async function linkImage(o: { file: string; jigs: number }): Promise<Metric[]> {
  const body = otaFileBody(o.file);
  const bodies = new Map(DEVICE_MODELS.map((m) => [m, body]));
  // Room for any size of image: the hub's flash is at least the image, rounded up to a sector.
  const flashBytes = Math.max(FAST_FLASH_PROFILE.flashBytes, Math.ceil((body.length + 4096) / 4096) * 4096);
  const run = await runLinkScenario({
    bodies,
    jigs: o.jigs,
    timing: { paced: true, baudRate: 115_200, latencyMs: LINK_LATENCY_MS },
    profile: { ...FAST_FLASH_PROFILE, flashBytes },
  });
  try {
    const slots = o.jigs * 8;
    const ok = run.results.filter((r) => r.result.result === 'REFLASHED' && r.result.transfer);
    if (ok.length === 0) throw new Error(`image ${o.file}: no slot re-flashed (${run.results.map((r) => r.result.error?.code ?? r.result.result).join(', ')})`);
    const per = ok.map(({ result }) => {
      const t = result.transfer!;
      const capacity = (t.elapsedMs / 1000) * lineBytesPerSecond(LINK_BAUD);
      return { wire: t.wireBytes / capacity, speedup: t.imageBytes / capacity, imageBytes: t.imageBytes, coding: t.imageBytes / t.wireBytes };
    });
    const slowest = per.reduce((a, b) => (b.speedup < a.speedup ? b : a));
    const image = [...run.catalog.images.values()][0]!;
    const wholeFile = Math.max(1, image.sizeBytes / image.deflatedBytes);
    const note = `${slowest.imageBytes} B; ${ok.length}/${slots} slots; mean ${mean(per.map((p) => p.speedup)).toFixed(3)}; wire-efficiency min ${Math.min(...per.map((p) => p.wire)).toFixed(3)}; coding image/wire ${(slowest.coding / wholeFile).toFixed(3)} of the limit; limit = whole-file deflate (1 if it does not shrink)`;
    return [metric('image', basename(o.file), slowest.speedup, '× line', wholeFile, note)];
  } finally {
    run.catalog.remove();
  }
}
