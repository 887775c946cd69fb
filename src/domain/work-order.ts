import { FlashdError, type ErrorCode } from './errors.js';

/** CSP regions a work order is assigned to. */
export const CSP_REGIONS = ['North', 'Central', 'South'] as const;
export type CspRegion = (typeof CSP_REGIONS)[number];

/**
 * A work order is OPEN while hubs on it are expected or in process; CLOSED once every hub is
 * returned, scrapped or (never having arrived) written off as not received; CANCELLED when it was
 * withdrawn before any hub arrived.
 */
export const WORK_ORDER_STATES = ['OPEN', 'CLOSED', 'CANCELLED'] as const;
export type WorkOrderState = (typeof WORK_ORDER_STATES)[number];

/** SMI status values as the DSP inventory records them (DOMAIN.md). Only `Pending` is in scope. */
export const SMI_STATUSES = [
  'Pending',
  'Whitelisted',
  'InstalledNotCommissioned',
  'Commissioned',
  'Decommissioned',
  'Withdrawn',
  'Suspended',
  'Recovery',
  'Recovered',
  'NotApplicable',
] as const;
export type SmiStatus = (typeof SMI_STATUSES)[number];

/** SMETS generation of the device as the SMI records it; MP155 covers SMETS2 hubs only. */
export const SMETS_VERSIONS = ['SMETS1', 'SMETS2'] as const;
export type SmetsVersion = (typeof SMETS_VERSIONS)[number];

/** Largest work order accepted in one piece: five pallets of 896 hubs, the most a facility holds. */
export const MAX_WORK_ORDER_HUBS = 4480;

/**
 * Bounds on store growth through work orders, far past what a real bench meets: they stop a
 * runaway or hostile client (44,800 hubs in 1.2 s), not a facility. Config: `limits`.
 */
export interface WorkOrderLimits {
  /** Work orders open at once; default 1,000. */
  maxOpenWorkOrders: number;
  /** Hubs listed on work orders created within any one hour; default 10,000 (over twice what a facility holds). */
  maxNewHubsPerHour: number;
}

export const DEFAULT_WORK_ORDER_LIMITS: Readonly<WorkOrderLimits> = Object.freeze({ maxOpenWorkOrders: 1000, maxNewHubsPerHour: 10_000 });

const TOKEN_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const OPERATOR_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function token(code: ErrorCode, what: string, value: string, re: RegExp): string {
  const trimmed = value.trim();
  if (!re.test(trimmed)) throw new FlashdError(code, `"${value}" is not a valid ${what}`, { details: { value } });
  return trimmed;
}

/** Work order ids come from the DCC Service Management System; flashd keeps them as given. */
export function parseWorkOrderId(value: string): string {
  return token('WORK_ORDER_ID_INVALID', 'work order id', value, TOKEN_RE);
}

export function parseSecPartyId(value: string): string {
  return token('SEC_PARTY_ID_INVALID', 'SEC Party id', value, TOKEN_RE);
}

/** Who is at the bench or at the back-office screen: recorded with every attempt and decision. */
export function parseOperatorId(value: string): string {
  return token('OPERATOR_ID_INVALID', 'operator id', value, OPERATOR_RE);
}

export const WORK_ORDER_ID_PATTERN = TOKEN_RE.source;
export const OPERATOR_ID_PATTERN = OPERATOR_RE.source;

/** Case-insensitive lookup of an enumerated value, returning its canonical spelling. */
export function canonical<T extends string>(values: readonly T[], text: string): T | undefined {
  const lower = text.trim().toLowerCase();
  return values.find((v) => v.toLowerCase() === lower);
}
