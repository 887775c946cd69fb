import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { FlashdError, toErrorRecord } from '../domain/errors.js';
import type { HubIdentity } from '../domain/hub-identity.js';
import { slotLed, type LedFacts } from '../domain/led-policy.js';
import type { ImageCatalog } from '../images/catalog.js';
import { LinkBridge } from '../link/port-bridge.js';
import type { DurableFact, HubCapabilities, SessionCommand, SessionDecision, SessionEvent, SessionResult, SessionTask } from '../session/session-types.js';
import { planTransfer } from '../session/transfer-plan.js';
import type { FlashStore } from '../store/flash-store.js';
import type { HubRecord } from '../records/hub.js';
import type { WorkOrderHubRecord } from '../records/work-order-hub.js';
import type { WorkOrderStore } from '../store/work-order-store.js';
import type { BlockCache } from './block-cache.js';
import { decideForHub, type BenchDecision } from './decide.js';
import { guardDecision, type SessionGuards } from './guard-hold.js';
import type { JigStation } from './jig-station.js';
import type { SessionPool } from './session-pool.js';
import { NO_HUB_FACTS, type SlotView } from './slot-view.js';

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
  /** The quality guards, asked before a hub is flashed (docs/quality-guards.md); absent: none. */
  guards?: SessionGuards | undefined;
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

/** What one run on a slot keeps between the session's events. */
interface SlotRun {
  readonly deps: SlotSessionDeps;
  readonly target: SlotSessionTarget;
  readonly log: Logger;
  /** The bench's end of the session's control port. */
  readonly control: MessagePort;
  readonly startedAt: Date;
  attemptId?: number | undefined;
  decided?: BenchDecision | undefined;
  /** The hub's SHA-256 once it verified the image (kept if the thread dies later). */
  verifiedSha256?: string | undefined;
  /** A recheck found the hub the slot had: no attempt, the earlier result stands. */
  sameHub: boolean;
}

/**
 * Runs one hub session on a slot, in named steps: bridge the slot's bytes to a worker, show the
 * session started, answer its events (identified → decide and open the attempt; phase and
 * progress → the view; durable facts → the store), then record the result, show it and set the
 * LED (domain/led-policy.ts). Settles once the attempt is recorded and the bytes are unhooked.
 */
export function startSlotSession(deps: SlotSessionDeps, target: SlotSessionTarget): SlotSession {
  const { station, slot } = target;
  const bytes = new MessageChannel();
  const control = new MessageChannel();
  const bridge = bridgeSlotBytes(station, slot, bytes.port1);
  const run: SlotRun = { deps, target, log: deps.log.child({ jig: station.config.id, slot }), control: control.port1, startedAt: new Date(), sameHub: false };
  showStarted(target);
  control.port1.on('message', (event: SessionEvent) => onSessionEvent(run, event));
  const finished = deps.pool
    .run(sessionTask(deps, target, bytes.port2, control.port2))
    .catch((err: unknown) => threadLost(run, err))
    .then((result) =>
      run.sameHub && result.result === 'ALREADY_CURRENT'
        ? restore(target, result)
        : record(deps, target, run.attemptId, withDecisionFacts(result, run.decided), run.log),
    )
    .finally(() => {
      station.route(slot, undefined);
      bridge.detach();
      control.port1.close();
    });
  return { finished, control: control.port1 };
}

/** The slot's received bytes go to the session's byte port, and what it writes to the slot's link. */
function bridgeSlotBytes(station: JigStation, slot: number, port: MessagePort): LinkBridge {
  const link = station.link(slot);
  if (!link) throw new FlashdError('INTERNAL', `slot ${station.config.id}/${slot} has no link`);
  const bridge = new LinkBridge(link, port);
  station.route(slot, (chunk) => bridge.deliver(chunk));
  return bridge;
}

/** The worker's task: the two ports and the slot's line and session settings. */
function sessionTask(deps: SlotSessionDeps, target: SlotSessionTarget, bytePort: MessagePort, controlPort: MessagePort): SessionTask {
  const { station, slot } = target;
  return {
    bytePort,
    controlPort,
    jigId: station.config.id,
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
}

/** A new session: the view forgets the last hub's facts, and the LED says a session runs. */
function showStarted(target: SlotSessionTarget): void {
  const shown: SlotView = { ...target.view(), ...NO_HUB_FACTS, phase: 'IDENTIFYING' };
  target.update(shown);
  setLed(target, shown);
}

function onSessionEvent(run: SlotRun, event: SessionEvent): void {
  const { target } = run;
  switch (event.t) {
    case 'identified':
      return answerIdentified(run, event);
    case 'phase':
      return target.update({ ...target.view(), phase: event.phase });
    case 'progress':
      return target.update({ ...target.view(), progress: event.totalBytes > 0 ? event.doneBytes / event.totalBytes : 0 });
    case 'durable':
      return recordFact(run, event.seq, event.fact);
  }
}

/** The session asks "may I flash this hub?": decide, open the attempt, show the hub, answer. */
function answerIdentified(run: SlotRun, event: Extract<SessionEvent, { t: 'identified' }>): void {
  const { identity } = event;
  if (run.target.recheck?.deviceId === identity.deviceId) {
    run.sameHub = true;
    run.log.info({ deviceId: identity.deviceId }, 'slot still holds the hub it had; its result stands');
    post(run, { t: 'decision', decision: { action: 'finish', result: 'ALREADY_CURRENT' } });
    return;
  }
  const reply = decideAndOpenAttempt(run, identity);
  showIdentified(run, identity);
  run.log.info({ deviceId: identity.deviceId, model: identity.model, running: identity.firmwareVersion, action: reply.action }, 'hub identified');
  withBlocks(run.deps, reply, event.capabilities)
    .catch((err: unknown): SessionDecision => {
      run.log.error({ err }, 'could not prepare the image blocks');
      return { action: 'finish', result: 'FAILED', error: toErrorRecord(err) };
    })
    .then(
      (decision) => post(run, { t: 'decision', decision }),
      () => undefined,
    );
}

/** Work order, catalogue and attempts left decide; a hub on a work order gets an open attempt. */
function decideAndOpenAttempt(run: SlotRun, identity: HubIdentity): BenchDecision['reply'] {
  const { deps, target } = run;
  try {
    const history = (workOrderId: string) => deps.store.flashHistory(workOrderId, identity.deviceId);
    run.decided = decideForHub(identity, deps.catalog, deps.workOrders.liveHub(identity.deviceId), {
      maxAttempts: deps.process.maxAttempts,
      history,
      hasUnlockKey: deps.pool.hasUnlockKey,
    });
    run.decided = guardDecision(deps.guards, { jig: target.station.config.id, slot: target.slot, model: identity.model }, run.decided);
    if (run.decided.workOrderId !== undefined) {
      run.attemptId = deps.store.beginAttempt({
        identity,
        benchId: deps.benchId,
        jigId: target.station.config.id,
        slot: target.slot,
        startedAt: run.startedAt,
        workOrderId: run.decided.workOrderId,
        operatorId: target.operatorId,
      });
    }
    return run.decided.reply;
  } catch (err) {
    run.log.error({ err }, 'could not decide for hub');
    return { action: 'finish' as const, result: 'FAILED' as const, error: toErrorRecord(err) };
  }
}

function showIdentified(run: SlotRun, identity: HubIdentity): void {
  const { decided } = run;
  run.target.update({
    ...run.target.view(),
    deviceId: identity.deviceId,
    model: identity.model,
    firmwareVersion: identity.firmwareVersion,
    targetVersion: decided?.reply.action === 'flash' ? (decided.targetVersion ?? null) : null,
    workOrderId: decided?.workOrderId ?? null,
    hubState: run.attemptId === undefined ? null : 'FLASHING',
  });
}

/** Commits a fact the session waits for before its next step, and answers once it is on disk (or why not). */
function recordFact(run: SlotRun, seq: number, fact: DurableFact): void {
  const { attemptId, decided } = run;
  const failed = (err: unknown): void => {
    run.log.error({ err, attemptId, fact: fact.t }, 'could not record a session fact; the session stops before the step that needs it');
    post(run, { t: 'persisted', seq, error: toErrorRecord(err) });
  };
  try {
    if (attemptId === undefined || decided?.reply.action !== 'flash') throw new FlashdError('INTERNAL', `no open flash attempt to record "${fact.t}" on`);
    const { image } = decided.reply;
    run.deps.store.recordVerifiedActivating(attemptId, { firmwareTarget: image.version, imageSha256: image.sha256, hubSha256: fact.hubSha256 });
    run.verifiedSha256 = fact.hubSha256;
  } catch (err) {
    failed(err);
    return;
  }
  run.deps.store.synced().then(() => post(run, { t: 'persisted', seq }), failed);
}

/** Posts to the session; one that already ended waits for nothing. */
function post(run: SlotRun, command: SessionCommand): void {
  try {
    run.control.postMessage(command);
  } catch {
    // The session ended meanwhile; nothing waits for the answer.
  }
}

/**
 * The thread ended without a result: terminated by a shutdown that outwaited its grace, or a
 * crash. What the hub verified before is kept, so a later attempt can count the flash as ours.
 */
function threadLost(run: SlotRun, err: unknown): SessionResult {
  const terminated = run.deps.terminating();
  const error = terminated
    ? new FlashdError('SESSION_INTERRUPTED', 'session thread terminated at shutdown: no safe point within sessions.shutdownGraceMs', { cause: err })
    : new FlashdError('INTERNAL', `session worker failed: ${(err as Error).message}`, { cause: err });
  return {
    result: terminated ? 'INTERRUPTED' : 'FAILED',
    timings: {},
    imageSha256: run.decided?.reply.action === 'flash' ? run.decided.reply.image.sha256 : undefined,
    hubSha256: run.verifiedSha256,
    error: { ...toErrorRecord(error), phase: run.target.view().phase },
  };
}

/** Sets the slot's LED from what its view shows (domain/led-policy.ts). */
function setLed(target: SlotSessionTarget, view: LedFacts): void {
  const { colour, blink } = slotLed(view);
  void target.station.setLed(target.slot, colour, blink);
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
  return { ...reply, blocks: await deps.blocks.get(reply.image, plan.blockBytes, plan.deflate, plan.dictionary) };
}

/**
 * Closes the attempt (hub outcome, work order state and any outbox row in one transaction) and,
 * once that is on disk, shows the result: a technician must not take a green LED for a result a
 * power cut could still lose.
 */
async function record(
  deps: SlotSessionDeps,
  target: SlotSessionTarget,
  attemptId: number | undefined,
  ended: SessionResult,
  log: Logger,
): Promise<SlotSessionEnd> {
  const { station, slot } = target;
  let result = ended;
  let hub: HubRecord | undefined;
  let workOrderHub: WorkOrderHubRecord | undefined;
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
      await deps.store.synced();
    } catch (err) {
      // Not stored (the attempt stays open and is closed as INTERRUPTED at the next start) or not
      // on disk. Either way the slot, the API and the metrics say FAILED: a technician must not
      // take a green LED for a result that is on no record.
      log.error({ err, attemptId, result: result.result }, 'could not record attempt');
      const error = new FlashdError(
        'STORE_WRITE_FAILED',
        `the ${result.result} result of ${result.identity?.deviceId ?? 'this hub'} could not be recorded: ${(err as Error).message}`,
        { cause: err },
      );
      result = { ...result, result: 'FAILED', error: { ...toErrorRecord(error), phase: 'DONE' } };
    }
  }
  const view = target.view();
  const stillThere = view.present;
  const shown: SlotView = {
    ...view,
    phase: stillThere ? 'DONE' : 'EMPTY',
    progress: result.result === 'REFLASHED' ? 1 : view.progress,
    firmwareVersion: result.firmwareVersion ?? view.firmwareVersion,
    result: stillThere ? result.result : null,
    error: result.error ? { code: result.error.code, message: result.error.message } : null,
    hubState: workOrderHub?.state ?? null,
    lineSuspect: result.transfer?.lineSuspect === true || result.error?.code === 'LINE_SUSPECT',
  };
  target.update(shown);
  const level = result.result === 'FAILED' ? 'warn' : 'info';
  log[level](
    { deviceId: result.identity?.deviceId, result: result.result, firmwareVersion: result.firmwareVersion, timings: result.timings, err: result.error },
    'session finished',
  );
  // Blinking red when the result is on no record (STORE_WRITE_FAILED) or scrap waits for a technician.
  if (stillThere) setLed(target, shown);
  return { jig: station.config.id, slot, result, hub, workOrderHub };
}

/** A recheck found the same hub: the slot shows its earlier result and LED again. */
function restore(target: SlotSessionTarget, result: SessionResult): SlotSessionEnd {
  const before = target.recheck!;
  const stillThere = target.view().present;
  target.update(stillThere ? { ...before, present: true } : { ...target.view(), phase: 'EMPTY', result: null });
  if (stillThere && before.result !== null) setLed(target, { ...before, present: true, phase: 'DONE' });
  return { jig: target.station.config.id, slot: target.slot, result, hub: undefined, sameHub: true };
}
