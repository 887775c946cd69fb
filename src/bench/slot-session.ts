import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { FlashdError, toErrorRecord } from '../domain/errors.js';
import type { ImageCatalog } from '../images/catalog.js';
import { LinkBridge } from '../link/port-bridge.js';
import type { DurableFact, HubCapabilities, SessionDecision, SessionEvent, SessionResult, SessionTask } from '../session/session-types.js';
import { planTransfer } from '../session/transfer-plan.js';
import type { FlashStore } from '../store/flash-store.js';
import type { HubRecord } from '../records/hub.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';
import type { WorkOrderStore } from '../store/work-order-store.js';
import type { BlockCache } from './block-cache.js';
import { decideForHub, type BenchDecision } from './decide.js';
import type { LedColour } from '../jig/control-protocol.js';
import type { JigStation } from './jig-station.js';
import type { SessionPool } from './session-pool.js';
import type { SlotView } from './slot-view.js';

/** What the bench shares with every session it starts. */
export interface SlotSessionDeps {
  benchId: string;
  sessions: Config['sessions'];
  process: Config['process'];
  catalog: ImageCatalog;
  store: FlashStore;
  workOrders: Pick<WorkOrderStore, 'liveHub'>;
  pool: SessionPool;
  blocks: BlockCache;
  log: Logger;
  /** The bench's shutdown grace ran out and it is terminating session threads: a thread that dies now was ended by us. */
  terminating(): boolean;
}

/** One slot as the session sees it: its jig, who started it, and the view the API shows. */
export interface SlotSessionTarget {
  station: JigStation;
  slot: number;
  operatorId: string;
  view(): SlotView;
  update(view: SlotView): void;
  /**
   * What the slot showed before its jig's control link went down or the jig rebooted: the hub in it
   * now is identified again. The same Device ID gets this view (and its LED) back, nothing is
   * recorded; a different hub is worked on as usual.
   */
  recheck?: SlotView | undefined;
}

/** `hub` and `workOrderHub` are absent when no attempt was recorded (the slot refused the hub). */
export interface SlotSessionEnd {
  jig: string;
  slot: number;
  result: SessionResult;
  hub: HubRecord | undefined;
  workOrderHub?: WorkOrderHubRecord | undefined;
  /** A {@link SlotSessionTarget.recheck} found the hub it expected: no attempt, the earlier result stands. */
  sameHub?: boolean | undefined;
}

export interface SlotSession {
  /** Settles once the attempt is recorded and the slot's bytes no longer reach the session. */
  finished: Promise<SlotSessionEnd>;
  /** The session's control port: the bench posts `cancel` here. */
  control: MessagePort;
}

/**
 * Runs one hub session on a slot: hands the slot's bytes to a worker, answers its "may I flash
 * this hub?" (work order, catalogue, attempts left), opens and closes the attempt in the store,
 * keeps the slot view current and sets the slot LED for the result.
 */
export function startSlotSession(deps: SlotSessionDeps, target: SlotSessionTarget): SlotSession {
  const { station, slot, operatorId } = target;
  const jig = station.config.id;
  const link = station.link(slot);
  if (!link) throw new FlashdError('INTERNAL', `slot ${jig}/${slot} has no link`);
  const log = deps.log.child({ jig, slot });
  const bytes = new MessageChannel();
  const control = new MessageChannel();
  const bridge = new LinkBridge(link, bytes.port1);
  station.route(slot, (chunk) => bridge.deliver(chunk));
  const task: SessionTask = {
    bytePort: bytes.port2,
    controlPort: control.port2,
    jigId: jig,
    slot,
    baudRate: station.config.baudRate,
    baud: {
      rates: deps.sessions.baud.rates,
      maxBaudRate: station.config.maxBaudRate,
      errorLimit: { errors: deps.sessions.baud.stepDownErrors, windowBlocks: deps.sessions.baud.stepDownWindowBlocks },
    },
    timeouts: deps.sessions.timeouts,
    transfer: deps.sessions.transfer,
  };
  const startedAt = new Date();
  let attemptId: number | undefined;
  let decided: BenchDecision | undefined;
  let verifiedSha256: string | undefined;
  target.update({ ...target.view(), phase: 'IDENTIFYING', progress: 0, deviceId: null, model: null, firmwareVersion: null, targetVersion: null, result: null, error: null, workOrderId: null, hubState: null });
  void station.setLed(slot, 'BLUE', true);

  let sameHub = false;
  const decide = (event: Extract<SessionEvent, { t: 'identified' }>): void => {
    if (target.recheck?.deviceId === event.identity.deviceId) {
      sameHub = true;
      log.info({ deviceId: event.identity.deviceId }, 'slot still holds the hub it had; its result stands');
      control.port1.postMessage({ t: 'decision', decision: { action: 'finish', result: 'ALREADY_CURRENT' } });
      return;
    }
    let reply: BenchDecision['reply'];
    try {
      const { identity } = event;
      const history = (workOrderId: string) => deps.store.flashHistory(workOrderId, identity.deviceId);
      decided = decideForHub(identity, deps.catalog, deps.workOrders.liveHub(identity.deviceId), { maxAttempts: deps.process.maxAttempts, history, hasUnlockKey: deps.pool.hasUnlockKey });
      if (decided.workOrderId !== undefined) {
        attemptId = deps.store.beginAttempt({ identity, benchId: deps.benchId, jigId: jig, slot, startedAt, workOrderId: decided.workOrderId, operatorId });
      }
      reply = decided.reply;
    } catch (err) {
      log.error({ err }, 'could not decide for hub');
      reply = { action: 'finish' as const, result: 'FAILED' as const, error: toErrorRecord(err) };
    }
    target.update({
      ...target.view(),
      deviceId: event.identity.deviceId,
      model: event.identity.model,
      firmwareVersion: event.identity.firmwareVersion,
      targetVersion: decided?.reply.action === 'flash' ? (decided.targetVersion ?? null) : null,
      workOrderId: decided?.workOrderId ?? null,
      hubState: attemptId === undefined ? null : 'FLASHING',
    });
    log.info({ deviceId: event.identity.deviceId, model: event.identity.model, running: event.identity.firmwareVersion, action: reply.action }, 'hub identified');
    withBlocks(deps, reply, event.capabilities)
      .catch((err: unknown): SessionDecision => {
        log.error({ err }, 'could not prepare the image blocks');
        return { action: 'finish', result: 'FAILED', error: toErrorRecord(err) };
      })
      .then((decision) => {
        try {
          control.port1.postMessage({ t: 'decision', decision });
        } catch {
          // The session ended while the blocks were prepared; nothing waits for the answer.
        }
      }, () => undefined);
  };

  /** Commits a fact the session waits for before its next step, and answers whether it is on disk. */
  const persist = (seq: number, fact: DurableFact): void => {
    let error: ReturnType<typeof toErrorRecord> | undefined;
    try {
      if (attemptId === undefined || decided?.reply.action !== 'flash') throw new FlashdError('INTERNAL', `no open flash attempt to record "${fact.t}" on`);
      if (fact.t === 'verified') {
        const { image } = decided.reply;
        deps.store.recordVerified(attemptId, { firmwareTarget: image.version, imageSha256: image.sha256, hubSha256: fact.hubSha256 });
        verifiedSha256 = fact.hubSha256;
      } else {
        deps.store.recordActivating(attemptId);
      }
    } catch (err) {
      log.error({ err, attemptId, fact: fact.t }, 'could not record a session fact; the session stops before the step that needs it');
      error = toErrorRecord(err);
    }
    try {
      control.port1.postMessage({ t: 'persisted', seq, ...(error ? { error } : {}) });
    } catch {
      // The session already ended; nothing waits for the answer.
    }
  };

  control.port1.on('message', (event: SessionEvent) => {
    switch (event.t) {
      case 'identified':
        return decide(event);
      case 'phase':
        return target.update({ ...target.view(), phase: event.phase });
      case 'progress':
        return target.update({ ...target.view(), progress: event.totalBytes > 0 ? event.doneBytes / event.totalBytes : 0 });
      case 'durable':
        return persist(event.seq, event.fact);
    }
  });

  const finished = deps.pool
    .run(task)
    .catch((err: unknown): SessionResult => {
      // The thread ended without a result: terminated by a shutdown that outwaited its grace, or a
      // crash. What the hub verified before is kept, so a later attempt can count the flash as ours.
      const terminated = deps.terminating();
      const error = terminated
        ? new FlashdError('SESSION_INTERRUPTED', 'session thread terminated at shutdown: no safe point within sessions.shutdownGraceMs', { cause: err })
        : new FlashdError('INTERNAL', `session worker failed: ${(err as Error).message}`, { cause: err });
      return {
        result: terminated ? 'INTERRUPTED' : 'FAILED',
        timings: {},
        imageSha256: decided?.reply.action === 'flash' ? decided.reply.image.sha256 : undefined,
        hubSha256: verifiedSha256,
        error: { ...toErrorRecord(error), phase: target.view().phase },
      };
    })
    .then((result) =>
      sameHub && result.result === 'ALREADY_CURRENT' ? restore(target, result) : record(deps, target, attemptId, withDecisionFacts(result, decided), log),
    )
    .finally(() => {
      station.route(slot, undefined);
      bridge.detach();
      control.port1.close();
    });
  return { finished, control: control.port1 };
}

/**
 * The decision's facts the session does not carry: the catalogue target and, for a re-flash an
 * earlier attempt activated and this one read back at identify, that attempt's verified image.
 */
function withDecisionFacts(result: SessionResult, decided: BenchDecision | undefined): SessionResult {
  const completed = result.result === 'REFLASHED' && result.imageSha256 === undefined ? decided?.completes : undefined;
  return {
    ...result,
    targetFirmwareVersion: result.targetFirmwareVersion ?? decided?.targetVersion,
    ...(completed ? { imageSha256: completed.sha256, hubSha256: completed.sha256 } : {}),
  };
}

/**
 * To flash, the session also gets the image's wire blocks for its hub's transfer plan, prepared
 * once per image and block size (compression off this thread, on libuv's pool) and shared.
 */
async function withBlocks(deps: SlotSessionDeps, reply: BenchDecision['reply'], capabilities: HubCapabilities): Promise<SessionDecision> {
  if (reply.action !== 'flash') return reply;
  const plan = planTransfer(deps.sessions.transfer, capabilities);
  return { ...reply, blocks: await deps.blocks.get(reply.image, plan.blockBytes, plan.deflate) };
}

/** Closes the attempt (hub outcome, work order state and any outbox row in one transaction) and shows the result. */
function record(deps: SlotSessionDeps, target: SlotSessionTarget, attemptId: number | undefined, ended: SessionResult, log: Logger): SlotSessionEnd {
  const { station, slot } = target;
  let result = ended;
  let hub: HubRecord | undefined;
  let workOrderHub: WorkOrderHubRecord | undefined;
  let unrecorded = false;
  if (attemptId !== undefined) {
    try {
      ({ hub, workOrderHub } = deps.store.finishAttemptOnWorkOrder(attemptId, {
        result: result.result,
        firmwareTarget: result.targetFirmwareVersion,
        firmwareAfter: result.result === 'REFLASHED' ? result.firmwareVersion : undefined,
        imageSha256: result.imageSha256,
        hubSha256: result.hubSha256,
        error: result.error,
        timings: result.timings,
        transfer: result.transfer,
      }));
    } catch (err) {
      // The attempt stays open and is closed as INTERRUPTED at the next start. Until then the slot,
      // the API and the metrics say FAILED: a technician must not take a green LED for a result
      // that is on no record.
      unrecorded = true;
      log.error({ err, attemptId, result: result.result }, 'could not record attempt');
      const error = new FlashdError('STORE_WRITE_FAILED', `the ${result.result} result of ${result.identity?.deviceId ?? 'this hub'} could not be recorded: ${(err as Error).message}`, { cause: err });
      result = { ...result, result: 'FAILED', error: { ...toErrorRecord(error), phase: 'DONE' } };
    }
  }
  const view = target.view();
  const stillThere = view.present;
  target.update({
    ...view,
    phase: stillThere ? 'DONE' : 'EMPTY',
    progress: result.result === 'REFLASHED' ? 1 : view.progress,
    firmwareVersion: result.firmwareVersion ?? view.firmwareVersion,
    result: stillThere ? result.result : null,
    error: result.error ? { code: result.error.code, message: result.error.message } : null,
    hubState: workOrderHub?.state ?? null,
  });
  const level = result.result === 'FAILED' ? 'warn' : 'info';
  log[level]({ deviceId: result.identity?.deviceId, result: result.result, firmwareVersion: result.firmwareVersion, timings: result.timings, err: result.error }, 'session finished');
  if (stillThere) void station.setLed(slot, resultLed(result.result), workOrderHub?.state === 'SCRAP_PROPOSED' || unrecorded);
  return { jig: station.config.id, slot, result, hub, workOrderHub };
}

/** A recheck found the same hub: the slot shows its earlier result and LED again. */
function restore(target: SlotSessionTarget, result: SessionResult): SlotSessionEnd {
  const before = target.recheck!;
  const stillThere = target.view().present;
  target.update(stillThere ? { ...before, present: true } : { ...target.view(), phase: 'EMPTY', result: null });
  if (stillThere && before.result !== null) {
    void target.station.setLed(target.slot, resultLed(before.result), before.hubState === 'SCRAP_PROPOSED' || before.error?.code === 'STORE_WRITE_FAILED');
  }
  return { jig: target.station.config.id, slot: target.slot, result, hub: undefined, sameHub: true };
}

/**
 * The LED for a result. Blinking (the caller's choice) red: scrap is proposed and waits for a
 * technician to confirm it, or the result could not be stored and the hub must not leave
 * as if it had been.
 */
function resultLed(result: SessionResult['result']): LedColour {
  return result === 'REFLASHED' || result === 'ALREADY_CURRENT' ? 'GREEN' : result === 'REJECTED' ? 'AMBER' : 'RED';
}
