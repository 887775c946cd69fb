import { randomUUID } from 'node:crypto';
import type { HubTransitionRecord, HubTransitionSink } from '../store/hub-transitions.js';
import type { Db } from '../store/open-database.js';
import type { ReportedOutcome } from '../store/outbox-records.js';
import { OutboxStore } from '../store/outbox-store.js';
import { ReportFactsReader } from '../store/report-facts.js';
import { buildNotification, type CatalogueFacts } from './n3-build.js';
import { canonicalJson, sha256Hex } from './n3-notification.js';

/** A final outcome that could not be reported (logged with N3_FACTS_MISSING by the caller). */
export interface UnreportableResult {
  deviceId: string;
  workOrderId: string;
  outcome: ReportedOutcome;
  missing: string[];
}

export interface N3OutboxSinkOptions {
  /** The catalogue entry for a Device Model (HAN variant, SMETS/CHTS version, production image). */
  catalogue: (manufacturer: string, model: string) => CatalogueFacts | undefined;
  /** `upstream.n3.reportRejected`: also report hubs rejected at the slot. Default false. */
  reportRejected?: boolean;
  /** Idempotency keys; default a random UUID (a key is never derived from ids a new store would reuse). */
  newKey?: () => string;
  /** Told after a row joins the transaction (the drainer's wake-up; harmless if it rolls back). */
  onQueued?: (id: number) => void;
  onUnreportable?: (result: UnreportableResult) => void;
}

/**
 * The N3 outbox as a {@link HubTransitionSink}: when a transition gives a hub a reportable final
 * outcome, the notification is built from the committed facts and inserted in the same SQLite
 * transaction, so the outcome and its row commit together or not at all. Reported: REFLASHED and
 * ALREADY_CURRENT when an attempt ends; SCRAP when a technician confirms it; REJECTED (at the slot)
 * only if configured. Intake rejections are never reported: the hub was never identified.
 */
export class N3OutboxSink implements HubTransitionSink {
  readonly #outbox: OutboxStore;
  readonly #facts: ReportFactsReader;
  readonly #options: N3OutboxSinkOptions;
  readonly #newKey: () => string;

  constructor(db: Db, options: N3OutboxSinkOptions) {
    this.#outbox = new OutboxStore(db);
    this.#facts = new ReportFactsReader(db);
    this.#options = options;
    this.#newKey = options.newKey ?? randomUUID;
  }

  committed(change: HubTransitionRecord): void {
    const outcome = reportedOutcome(change, this.#options.reportRejected ?? false);
    if (outcome === undefined) return;
    const { workOrderId, deviceId } = change.hub;
    const facts = this.#facts.read(workOrderId, deviceId, change.attemptId);
    const built = facts
      ? buildNotification({
          idempotencyKey: this.#newKey(),
          outcome,
          completedAt: change.at,
          facts,
          hub: change.hub,
          catalogue: this.#options.catalogue(facts.hub.manufacturer, facts.hub.model),
        })
      : { ok: false as const, missing: ['attempt'] };
    if (!built.ok) {
      this.#options.onUnreportable?.({ deviceId, workOrderId, outcome, missing: built.missing });
      return;
    }
    const payloadJson = canonicalJson({ ...built.notification });
    const id = this.#outbox.insert({
      idempotencyKey: built.notification.idempotencyKey,
      deviceId,
      workOrderId,
      attemptId: facts!.attempt.id,
      outcome,
      payloadJson,
      payloadSha256: sha256Hex(payloadJson),
      createdAt: change.at,
    });
    this.#options.onQueued?.(id);
  }
}

/** Which transitions are reported, and as what. */
export function reportedOutcome(change: Pick<HubTransitionRecord, 'event' | 'to'>, reportRejected: boolean): ReportedOutcome | undefined {
  if (change.event === 'scrap-confirmed') return 'SCRAP';
  if (change.event !== 'attempt-finished') return undefined;
  switch (change.to.state) {
    case 'REFLASHED':
    case 'ALREADY_CURRENT':
      return change.to.state;
    case 'REJECTED':
      return reportRejected ? 'REJECTED' : undefined;
    default:
      return undefined;
  }
}
