import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { FlashdMetrics } from '../../../src/api/metrics.js';
import type { SlotSessionEnd } from '../../../src/bench/slot-session.js';
import { emptySlot } from '../../../src/bench/slot-view.js';
import { OutboxBench } from '../../helpers/outbox-bench.js';
import { inlineReports } from '../../../src/store/report-reader.js';

/** `name{labels} value` lines of a Prometheus text page, keyed by everything before the value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

const NOW = Date.parse('2026-11-28T12:10:00.000Z');

describe('GET /metrics', () => {
  let app: FastifyInstance;
  let bench: OutboxBench;
  let metrics: FlashdMetrics;

  beforeAll(async () => {
    bench = await OutboxBench.open(join(mkdtempSync(join(tmpdir(), 'flashd-metrics-')), 'f.db'));
    bench.order('WO-1', [0, 1, 2]);
    bench.flash('WO-1', 0, 'REFLASHED');
    bench.flash('WO-1', 1, 'REFLASHED');
    bench.flash('WO-1', 2, 'ALREADY_CURRENT');
    const ids = bench.db.prepare('SELECT id FROM n3_outbox ORDER BY id').pluck().all() as number[];
    bench.stores.outbox.markDead(ids[0]!, { at: '2026-11-28T12:00:00.000Z', status: 422, code: 'N3_REJECTED', message: 'HTTP 422' });
    bench.stores.outbox.markDelivered(ids[1]!, '2026-11-28T12:00:01.000Z', 201);
    const slots = [
      { ...emptySlot('JIG-1', 1), present: true, phase: 'TRANSFERRING' as const },
      { ...emptySlot('JIG-1', 2), present: true, phase: 'TRANSFERRING' as const },
      { ...emptySlot('JIG-1', 3), present: true, phase: 'DONE' as const },
      emptySlot('JIG-2', 1),
    ];
    const api = {
      slots: () => slots,
      activeSessions: 2,
      jigs: () => [
        { id: 'JIG-1', connected: true },
        { id: 'JIG-2', connected: false },
      ],
      operatorId: 'op',
      setOperator: () => {},
      retry: () => ({ jig: 'JIG-1', slot: 1 }),
    };
    metrics = new FlashdMetrics({ bench: api, outbox: bench.stores.outbox, n3Enabled: true, now: () => NOW });
    app = await buildApp({
      benchId: 'B',
      bench: api,
      store: bench.stores.flash,
      ...bench.stores,
      isKnownModel: () => true,
      metrics,
      log: pino({ level: 'silent' }),
      reports: inlineReports(bench.db),
    });
  });
  afterAll(async () => {
    await app.close();
    bench.close();
  });

  const end = (result: SlotSessionEnd['result']): SlotSessionEnd => ({ jig: 'JIG-1', slot: 3, result, hub: undefined });

  it('serves the Prometheus text format with the bench, the outbox and process metrics', async () => {
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = samples(res.body);
    expect(Object.fromEntries(m)).toMatchObject({
      flashd_sessions_active: 2,
      'flashd_slots{phase="TRANSFERRING"}': 2,
      'flashd_slots{phase="DONE"}': 1,
      'flashd_slots{phase="EMPTY"}': 1,
      'flashd_slots{phase="VERIFYING"}': 0,
      'flashd_jig_connected{jig="JIG-1"}': 1,
      'flashd_jig_connected{jig="JIG-2"}': 0,
      // Three results reported: one dead letter, one delivered, one pending (created "now" by the fixture).
      'flashd_n3_outbox_rows{state="dead"}': 1,
      'flashd_n3_outbox_rows{state="delivered"}': 1,
      'flashd_n3_outbox_rows{state="pending"}': 1,
      // Every result is exported from the start at 0, so a rate() sees its first increase.
      'flashd_sessions_finished_total{result="SCRAP"}': 0,
    });
    expect(m.get('flashd_n3_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect([...m.keys()].some((k) => k.startsWith('nodejs_eventloop_lag_p99_seconds'))).toBe(true);
  });

  it('counts finished sessions by result and error code, phase times, and link health', async () => {
    const before = samples((await app.inject('/metrics')).body);
    metrics.observe(
      end({
        result: 'REFLASHED',
        timings: { identify: 12, unlock: 40, transfer: 2_900, verify: 300, activate: 5, readBack: 700 },
        transfer: {
          imageBytes: 262_144,
          resumedFromBytes: 0,
          sentBytes: 266_240,
          wireBytes: 200_000,
          blocksResent: 1,
          gaps: 1,
          timeouts: 0,
          crcErrors: 2,
          elapsedMs: 2_900,
          blockBytes: 4096,
          window: 8,
          baudRate: 921_600,
          stepDowns: 0,
        },
      }),
    );
    metrics.observe(
      end({ result: 'FAILED', timings: { identify: 10, unlock: 35 }, error: { code: 'UNLOCK_REFUSED', message: 'refused', phase: 'UNLOCKING' } }),
    );
    const m = samples((await app.inject('/metrics')).body);
    const delta = (key: string): number => (m.get(key) ?? Number.NaN) - (before.get(key) ?? 0);
    expect(delta('flashd_sessions_finished_total{result="REFLASHED"}')).toBe(1);
    expect(delta('flashd_sessions_finished_total{result="FAILED"}')).toBe(1);
    expect(delta('flashd_session_errors_total{code="UNLOCK_REFUSED"}')).toBe(1);
    expect(delta('flashd_transfer_image_bytes_total')).toBe(266_240);
    expect(delta('flashd_transfer_wire_bytes_total')).toBe(200_000);
    expect(delta('flashd_transfer_blocks_resent_total')).toBe(1);
    expect(delta('flashd_transfer_crc_errors_total')).toBe(2);
    // Histograms in seconds: the 2.9 s transfer falls in the 5 s bucket, not the 2.5 s one.
    expect(delta('flashd_session_phase_seconds_count{phase="unlock"}')).toBe(2);
    expect(delta('flashd_session_phase_seconds_bucket{le="2.5",phase="transfer"}')).toBe(0);
    expect(delta('flashd_session_phase_seconds_bucket{le="5",phase="transfer"}')).toBe(1);
    expect(delta('flashd_session_phase_seconds_sum{phase="transfer"}')).toBeCloseTo(2.9, 6);
  });
});

describe('metrics without N3 reporting', () => {
  it('exports no outbox figures when upstream.mode does not push to N3', async () => {
    const bench = await OutboxBench.open(join(mkdtempSync(join(tmpdir(), 'flashd-metrics-')), 'f.db'));
    try {
      const metrics = new FlashdMetrics({ bench: { slots: () => [], activeSessions: 0, jigs: () => [] }, outbox: bench.stores.outbox, n3Enabled: false });
      expect(await metrics.text()).not.toContain('flashd_n3_outbox');
    } finally {
      bench.close();
    }
  });
});
