import { describe, expect, it } from 'vitest';
import type { HubState } from '../../../src/domain/hub-state.js';
import { decideIntake, type IntakeCandidate } from '../../../src/domain/intake.js';
import { bindHub } from '../../../src/domain/slot-binding.js';
import { parseDeviceId } from '../../../src/domain/identifiers.js';

const id = parseDeviceId('00-DB-12-34-56-78-90-A0');
const line = (over: Partial<IntakeCandidate> = {}): IntakeCandidate => ({
  workOrderId: 'WO-1',
  workOrderState: 'OPEN',
  state: 'EXPECTED',
  smiStatus: 'Pending',
  smetsVersion: 'SMETS2',
  ...over,
});
const intake = (candidates: IntakeCandidate[], expected?: string) => {
  const d = decideIntake(id, candidates, expected);
  return d.decision === 'ACCEPTED' ? 'ACCEPTED' : `${d.code}${d.changesHub ? ' (hub rejected)' : ''}`;
};

describe('intake', () => {
  it('accepts a Pending SMETS2 hub expected on an open work order', () => {
    expect(intake([line()])).toBe('ACCEPTED');
    expect(intake([line()], 'WO-1')).toBe('ACCEPTED');
  });

  it('rejects with the reason, changing the hub only when the rejection is its outcome', () => {
    expect(intake([])).toBe('HUB_NOT_ON_WORK_ORDER');
    expect(intake([line({ smiStatus: 'Commissioned' })])).toBe('SMI_STATUS_NOT_PENDING (hub rejected)');
    expect(intake([line({ smetsVersion: 'SMETS1' })])).toBe('NOT_SMETS2 (hub rejected)');
    expect(intake([line({ state: 'ACCEPTED' })])).toBe('HUB_ALREADY_RECEIVED');
    expect(intake([line({ state: 'REFLASHED' })])).toBe('HUB_ALREADY_RECEIVED');
    expect(intake([line({ state: 'NOT_RECEIVED', workOrderState: 'CLOSED' })])).toBe('WORK_ORDER_CLOSED');
    expect(intake([line({ state: 'NOT_RECEIVED', workOrderState: 'CANCELLED' })])).toBe('WORK_ORDER_CANCELLED');
    expect(intake([line({ state: 'RETURNED' })])).toBe('HUB_ALREADY_RECEIVED');
  });

  it('keeps a hub out of a delivery it does not belong to (another order, another party)', () => {
    expect(intake([line({ workOrderId: 'WO-2' })], 'WO-1')).toBe('HUB_NOT_ON_THIS_WORK_ORDER');
    expect(intake([], 'WO-1')).toBe('HUB_NOT_ON_THIS_WORK_ORDER');
  });

  it('judges by the live line when the hub was on earlier, finished work orders', () => {
    expect(intake([line({ workOrderId: 'WO-9' }), line({ workOrderId: 'WO-3', state: 'RETURNED', workOrderState: 'CLOSED' })])).toBe('ACCEPTED');
  });
});

describe('slot binding', () => {
  const bind = (state: HubState | undefined, failedAttempts = 0) =>
    bindHub({ deviceId: id }, state && { workOrderId: 'WO-1', state, declaredModel: null, failedAttempts }, 3);

  it('binds only a hub accepted (or failed and retried) on an open work order', () => {
    expect(bind('ACCEPTED')).toEqual({ bound: true, workOrderId: 'WO-1', declaredModel: null });
    expect(bind('FAILED', 2)).toMatchObject({ bound: true });
  });

  it('refuses everything else with the reason the slot shows', () => {
    const code = (state: HubState | undefined, failed = 0) => {
      const b = bind(state, failed);
      return b.bound ? 'bound' : b.code;
    };
    expect(code(undefined)).toBe('HUB_NOT_ON_WORK_ORDER');
    expect(code('EXPECTED')).toBe('HUB_NOT_RECEIVED');
    expect(code('REFLASHED')).toBe('HUB_ALREADY_DONE');
    expect(code('ALREADY_CURRENT')).toBe('HUB_ALREADY_DONE');
    for (const state of ['REJECTED', 'FLASHING', 'SCRAP_PROPOSED'] as const) expect(code(state)).toBe('HUB_NOT_FLASHABLE');
    expect(code('FAILED', 3)).toBe('ATTEMPTS_EXHAUSTED');
  });
});
