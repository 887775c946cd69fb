import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { createStores } from '../../../src/store/stores.js';
import type { N3Answer, N3Transport } from '../../../src/upstream/n3-answer.js';
import { N3Reporter } from '../../../src/upstream/n3-reporter.js';
import { OutboxBench } from '../../helpers/outbox-bench.js';

const n3 = validateConfig({ upstream: { mode: 'n3', n3: { url: 'http://127.0.0.1:9/n3' } } }, 't').upstream.n3;
const never: N3Transport = { send: () => new Promise<N3Answer>(() => undefined), close: () => undefined };

describe('N3Reporter', () => {
  let bench: OutboxBench;
  afterEach(() => bench.close());

  it('refuses a catalogue that does not state the SMETS/CHTS version of every image', async () => {
    bench = await OutboxBench.open(join(mkdtempSync(join(tmpdir(), 'flashd-rep-')), 'f.db'));
    const images = bench.catalog.list().map((i, k) => (k === 2 ? { ...i, smetsChtsVersion: undefined } : i));
    const catalogue = { list: () => images, latestFor: () => undefined };
    expect(() => new N3Reporter({ db: bench.db, n3, transport: never, catalogue, log: createLogger('silent') })).toThrow(
      expect.objectContaining({ code: 'MANIFEST_INVALID', message: expect.stringContaining(images[2]!.model) }),
    );
  });

  it('commits an outcome it cannot report complete, queues nothing, and says so with N3_FACTS_MISSING', async () => {
    bench = await OutboxBench.open(join(mkdtempSync(join(tmpdir(), 'flashd-rep-')), 'f.db'));
    let out = '';
    const log = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => ((out += c.toString()), done()) }));
    const known = bench.catalog.list();
    // A catalogue that has lost model 0 (e.g. a new manifest between the attempt and the scrap confirmation).
    const catalogue = {
      list: () => known,
      latestFor: (m: string, model: string) => (model === bench.model(0).model ? undefined : bench.catalog.latestFor(m, model)),
    };
    const reporter = new N3Reporter({ db: bench.db, n3, transport: never, catalogue, log });
    const stores = createStores(bench.db, { sinks: [reporter.sink] });
    const other = new OutboxBench(bench.db, stores, bench.catalog);
    other.order('WO-9', [0, 1]);
    other.flash('WO-9', 0, 'FAILED');
    stores.settlement.confirmScrap(other.identity(0).deviceId, 'tech');
    other.flash('WO-9', 1, 'REFLASHED');
    expect(stores.workOrders.hubs('WO-9').map((h) => h.state)).toEqual(['SCRAPPED', 'REFLASHED']);
    expect(bench.db.prepare('SELECT device_id FROM n3_outbox').pluck().all()).toEqual([other.identity(1).deviceId]);
    const line = JSON.parse(out.split('\n').find((l) => l.includes('N3_FACTS_MISSING'))!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 50,
      code: 'N3_FACTS_MISSING',
      outcome: 'SCRAP',
      deviceId: other.identity(0).deviceId,
      missing: ['smetsChtsVersion', 'hanVariant'],
    }); // the image it tried is known
  });
});
