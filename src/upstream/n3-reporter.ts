import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/upstream-schema.js';
import { FlashdError } from '../domain/errors.js';
import type { CatalogImage } from '../images/catalog-image.js';
import type { Db } from '../store/open-database.js';
import { OutboxStore } from '../store/outbox-store.js';
import type { CatalogueFacts } from './n3-build.js';
import { N3Drainer } from './n3-drainer.js';
import { N3HttpTransport, type N3HttpOptions } from './n3-http-transport.js';
import type { N3Transport } from './n3-answer.js';
import { N3OutboxSink } from './n3-outbox-sink.js';
import { OutboxSummaryLog } from './outbox-figures.js';
import type { RetryPolicy } from './retry-policy.js';

export interface N3ReporterOptions {
  db: Db;
  n3: UpstreamConfig['n3'];
  /** The HTTP transport's options (loadN3Transport), or another transport (tests). */
  transport: N3HttpOptions | N3Transport;
  catalogue: { latestFor(manufacturer: string, model: string): CatalogImage | undefined; list(): readonly CatalogImage[] };
  log: Logger;
  /** Settles once every commit so far is on disk (the store's durability); default: every commit is. */
  synced?: (() => Promise<void>) | undefined;
}

/**
 * Option A wired together: the sink that queues a notification with each reportable outcome, the
 * one drainer, and the summary log line. main.ts hands `sink` to createStores before anything can
 * commit a result, then `start()`s; `stop()` ends the drainer before the store closes.
 */
export class N3Reporter {
  readonly sink: N3OutboxSink;
  readonly #drainer: N3Drainer;
  readonly #outbox: OutboxStore;
  readonly #log: Logger;
  readonly #summaryIntervalMs: number;
  #summary: OutboxSummaryLog | undefined;

  constructor(options: N3ReporterOptions) {
    const log = options.log.child({ component: 'n3' });
    const missing = options.catalogue.list().filter((image) => image.smetsChtsVersion === undefined);
    if (missing.length > 0) {
      throw new FlashdError(
        'MANIFEST_INVALID',
        `upstream.mode reports to N3, which needs smetsChtsVersion for every image; the manifest leaves it out for ${missing.map((i) => i.model).join(', ')}`,
        {
          details: { problems: missing.map((i) => `images[model=${i.model}].smetsChtsVersion: missing`) },
        },
      );
    }
    this.#log = log;
    this.#outbox = new OutboxStore(options.db);
    this.#summaryIntervalMs = options.n3.summaryIntervalMs;
    const transport = 'send' in options.transport ? options.transport : new N3HttpTransport(options.transport);
    this.#drainer = new N3Drainer({
      outbox: this.#outbox,
      transport,
      policy: options.n3.retry satisfies RetryPolicy,
      batchSize: options.n3.batchSize,
      concurrency: options.n3.concurrency,
      pollIntervalMs: options.n3.pollIntervalMs,
      log,
      ...(options.synced ? { synced: options.synced } : {}),
    });
    this.sink = new N3OutboxSink(options.db, {
      catalogue: (manufacturer, model) => catalogueFacts(options.catalogue.latestFor(manufacturer, model)),
      reportRejected: options.n3.reportRejected,
      onQueued: () => this.#drainer.wake(),
      onUnreportable: (r) => log.error({ ...r, code: 'N3_FACTS_MISSING' }, 'final outcome not reported to N3: a mandatory field has no source'),
    });
  }

  /** Starts draining (rows left by an earlier run go first) and the summary line. Idempotent. */
  start(): void {
    this.#drainer.start();
    this.#summary ??= new OutboxSummaryLog(this.#outbox, this.#log, this.#summaryIntervalMs);
    this.#log.info({ ...this.#outbox.summary() }, 'n3 reporting started');
  }

  /** A new row or a re-queue: send soon. */
  wake(): void {
    this.#drainer.wake();
  }

  async stop(): Promise<void> {
    this.#summary?.stop();
    await this.#drainer.stop();
  }
}

function catalogueFacts(image: CatalogImage | undefined): CatalogueFacts | undefined {
  return image && { hanVariant: image.hanVariant, smetsChtsVersion: image.smetsChtsVersion, version: image.version, sha256: image.sha256 };
}
