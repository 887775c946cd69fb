import type { LineErrorLimit } from './line-health.js';

/**
 * A hub that heard no valid frame for this long while running above its default rate, with no
 * request in hand, goes back to its default rate (docs/protocol.md §2.8). A host that lost track of
 * the rate (a failed switch, a daemon restart mid-session) finds the hub at the jig's rate again
 * by waiting this long. A host keeps every silence at a raised rate well under it: its ACK timeout
 * there is at most half of it.
 */
export const BAUD_IDLE_REVERT_MS = 5000;

/**
 * After both ends switched, the host waits this long before its next frame, so a hub that switches
 * a little after its BAUD reply left (or a USB adapter that applies the rate late) hears it at the
 * new rate. esptool waits 50 ms for the same reason after CHANGE_BAUDRATE.
 */
export const BAUD_SETTLE_MS = 10;

/** How a session chooses and changes its line rate. */
export interface BaudPolicy {
  /** The rate every session starts at: the jig's configured rate, which is also the hub's default. */
  baseBaudRate: number;
  /** Rates flashd may switch a hub link to, in any order. Empty: never switch. */
  rates: readonly number[];
  /** Upper bound for this jig (its adapter or cabling); undefined: none. */
  maxBaudRate?: number | undefined;
  /** Step down when line errors crowd together; undefined: never step down. */
  errorLimit?: LineErrorLimit | undefined;
}

/**
 * Rates worth trying, best first: the configured rates the hub (`hubMaxBaudRate` from IDENTITY)
 * and the jig allow, above the base rate. The base rate needs no switch and is always the fallback.
 */
export function candidateRates(policy: BaudPolicy, hubMaxBaudRate: number): number[] {
  const ceiling = Math.min(hubMaxBaudRate, policy.maxBaudRate ?? Number.POSITIVE_INFINITY);
  return [...new Set(policy.rates)].filter((r) => r > policy.baseBaudRate && r <= ceiling).sort((a, b) => b - a);
}

/** The next rate down from `current`: a lower candidate, else the base rate; undefined at the base. */
export function lowerRate(policy: BaudPolicy, hubMaxBaudRate: number, current: number): number | undefined {
  if (current <= policy.baseBaudRate) return undefined;
  return candidateRates(policy, hubMaxBaudRate).find((r) => r < current) ?? policy.baseBaudRate;
}
