import { FlashdMetrics } from '../../src/api/metrics.js';
import type { Bench } from '../../src/bench/bench.js';
import type { OutboxStore } from '../../src/store/outbox-store.js';

/** The metrics an API test's buildApp needs: over its fake bench (no jigs), without process observers. */
export function apiMetrics(bench: Pick<Bench, 'slots' | 'activeSessions'>, outbox: Pick<OutboxStore, 'summary'>, n3Enabled = false): FlashdMetrics {
  return new FlashdMetrics({
    bench: { slots: () => bench.slots(), activeSessions: bench.activeSessions, jigs: () => [] },
    outbox,
    n3Enabled,
    processMetrics: false,
  });
}
