import type { ErrorCode } from './errors.js';
import { TERMINAL_STATES, type HubState } from './hub-state.js';
import type { SmetsVersion, SmiStatus, WorkOrderState } from './work-order.js';

/** One work order line for the scanned Device ID, as the store has it. */
export interface IntakeCandidate {
  workOrderId: string;
  workOrderState: WorkOrderState;
  state: HubState;
  smiStatus: SmiStatus;
  smetsVersion: SmetsVersion;
}

export type IntakeRejection = Extract<
  ErrorCode,
  | 'HUB_NOT_ON_WORK_ORDER'
  | 'HUB_NOT_ON_THIS_WORK_ORDER'
  | 'HUB_ALREADY_RECEIVED'
  | 'WORK_ORDER_CLOSED'
  | 'WORK_ORDER_CANCELLED'
  | 'SMI_STATUS_NOT_PENDING'
  | 'NOT_SMETS2'
>;

export type IntakeDecision =
  | { decision: 'ACCEPTED'; workOrderId: string }
  /**
   * `changesHub` is true when the rejection is the hub's own outcome on its work order (it goes back
   * to its party unflashed); false when only the scan is refused (a stranger, a second scan).
   */
  | { decision: 'REJECTED'; code: IntakeRejection; message: string; workOrderId: string | null; changesHub: boolean };

/**
 * Decides what a scan at intake means. The hub cannot report its SMI status or SMETS generation,
 * so both come from the work order line DCC authorised (docs/work-orders.md). `candidates` are the
 * hub's lines on every work order, newest first; at most one of them is live (not terminal).
 * `expectedWorkOrderId` is the delivery being unpacked, when the operator names it.
 */
export function decideIntake(deviceId: string, candidates: readonly IntakeCandidate[], expectedWorkOrderId?: string): IntakeDecision {
  const live = candidates.find((c) => !TERMINAL_STATES.includes(c.state));
  if (live) {
    if (expectedWorkOrderId !== undefined && live.workOrderId !== expectedWorkOrderId) {
      return reject(
        'HUB_NOT_ON_THIS_WORK_ORDER',
        `${deviceId} belongs to work order ${live.workOrderId}, not ${expectedWorkOrderId}: keep it apart`,
        live.workOrderId,
        false,
      );
    }
    if (live.state !== 'EXPECTED') {
      return reject('HUB_ALREADY_RECEIVED', `${deviceId} was already received on work order ${live.workOrderId} (now ${live.state})`, live.workOrderId, false);
    }
    if (live.smiStatus !== 'Pending') {
      return reject(
        'SMI_STATUS_NOT_PENDING',
        `${deviceId} has SMI status ${live.smiStatus} on work order ${live.workOrderId}; only Pending hubs are re-flashed`,
        live.workOrderId,
        true,
      );
    }
    if (live.smetsVersion !== 'SMETS2') {
      return reject(
        'NOT_SMETS2',
        `${deviceId} is a ${live.smetsVersion} device on work order ${live.workOrderId}; only SMETS2 hubs are re-flashed`,
        live.workOrderId,
        true,
      );
    }
    return { decision: 'ACCEPTED', workOrderId: live.workOrderId };
  }
  const latest = expectedWorkOrderId === undefined ? candidates[0] : candidates.find((c) => c.workOrderId === expectedWorkOrderId);
  if (!latest) {
    const where = expectedWorkOrderId === undefined ? 'any open work order' : `work order ${expectedWorkOrderId}`;
    return reject(
      expectedWorkOrderId === undefined ? 'HUB_NOT_ON_WORK_ORDER' : 'HUB_NOT_ON_THIS_WORK_ORDER',
      `${deviceId} is not on ${where}: quarantine it`,
      null,
      false,
    );
  }
  if (latest.workOrderState === 'CLOSED')
    return reject('WORK_ORDER_CLOSED', `${deviceId} is only on closed work order ${latest.workOrderId}`, latest.workOrderId, false);
  if (latest.workOrderState === 'CANCELLED')
    return reject('WORK_ORDER_CANCELLED', `${deviceId} is only on cancelled work order ${latest.workOrderId}`, latest.workOrderId, false);
  return reject('HUB_ALREADY_RECEIVED', `${deviceId} already went through work order ${latest.workOrderId} (${latest.state})`, latest.workOrderId, false);
}

function reject(code: IntakeRejection, message: string, workOrderId: string | null, changesHub: boolean): IntakeDecision {
  return { decision: 'REJECTED', code, message, workOrderId, changesHub };
}
