import { DEVICE_MODELS } from '../../../firmware-images/models.js';
import { metric, type Metric } from '../metrics.js';
import { randomBody } from '../perf-catalog.js';
import { FAST_FLASH_PROFILE, LINK_BAUD, LINK_LATENCY_MS, mean } from './link-incompressible.js';
import { lineBytesPerSecond, runLinkScenario } from './link-run.js';

/** One bit in a million flipped, each way: about one 4 KiB frame in thirty arrives corrupt. */
export const NOISY_BIT_ERROR_RATE = 1e-6;

/**
 * Not a target, a comparison: one jig of 1 MiB transfers at 921,600 baud over a line with bit
 * errors, once with hubs that keep out-of-order blocks (selective resend) and once with go-back-N
 * hubs. Efficiency as in link-incompressible; re-sent blocks per image beside it.
 */
export async function linkNoisy(): Promise<Metric[]> {
  const metrics: Metric[] = [];
  for (const selective of [true, false]) {
    const bodies = new Map(DEVICE_MODELS.map((m) => [m, randomBody()]));
    const run = await runLinkScenario({
      bodies,
      jigs: 1,
      timing: { paced: true, baudRate: 115_200, latencyMs: LINK_LATENCY_MS },
      noise: { bitErrorRate: NOISY_BIT_ERROR_RATE },
      profile: { ...FAST_FLASH_PROFILE, selectiveResend: selective },
    });
    try {
      const ok = run.results.filter((r) => r.result.result === 'REFLASHED' && r.result.transfer);
      const eff = ok.map(({ result: { transfer: t } }) => t!.imageBytes / ((t!.elapsedMs / 1000) * lineBytesPerSecond(LINK_BAUD)));
      const resent = ok.map(({ result: { transfer: t } }) => t!.blocksResent);
      const mode = selective ? 'selective' : 'go-back-n';
      metrics.push(
        metric(
          'link-noisy',
          `efficiency-${mode}`,
          Math.min(...eff),
          'ratio',
          1,
          `BER ${NOISY_BIT_ERROR_RATE} each way; ${ok.length}/8 slots; mean ${mean(eff).toFixed(3)}; mean ${mean(resent).toFixed(1)} blocks re-sent per image; ${Math.max(...ok.map((r) => r.result.transfer!.stepDowns))} step-downs`,
        ),
      );
    } finally {
      run.catalog.remove();
    }
  }
  return metrics;
}
