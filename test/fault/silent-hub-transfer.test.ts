import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, Simulator, generateStock, parseScenario } from '../../jig-sim/index.js';
import { BAUD_IDLE_REVERT_MS } from '../../src/session/baud-policy.js';
import { flashSlot } from '../helpers/sim-session.js';

/**
 * A hub that stops answering mid-transfer (hung, bricked) on a clean line is silence, not noise:
 * the session must not cut blocks, call the slot's line suspect, or take longer than it did before
 * noisy lines were adapted to (docs/protocol.md §2.8). Budgets are what that older path spent in
 * timers, from these timeouts; the bound is generous (a loaded host fires timers late), but the
 * block-cutting path spent (3 × requestRetries + 1) more request timeouts on a BEGIN.
 */
const T = { requestTimeoutMs: 500, requestRetries: 3, ackTimeoutMs: 300, transferRetries: 2 };
const BLOCK_BYTES = 1024;
const WINDOW = 2;
const tries = T.requestRetries + 1;
/** Three ACK timeouts with no progress end the transfer, each after the window's resend left the wire. */
const stallMs = (baudRate: number): number => 3 * (T.ackTimeoutMs + (WINDOW * BLOCK_BYTES * 10 * 1000) / baudRate);
/** Before (main), at the base rate: the stall, then a BEGIN for smaller blocks with three times the retries. */
const BASE_BUDGET_MS = stallMs(115_200) + (3 * T.requestRetries + 1) * T.requestTimeoutMs;
/** Before, above it: the stall, then back to the base rate (SET_BAUD twice, IDENTIFY, the idle revert, IDENTIFY). */
const RAISED_BUDGET_MS = stallMs(921_600) + 2 * T.requestTimeoutMs + tries * T.requestTimeoutMs + BAUD_IDLE_REVERT_MS + tries * T.requestTimeoutMs;
/** Late timers on a loaded host; less than the (3 × retries + 1) request timeouts a BEGIN for smaller blocks adds. */
const SLACK_MS = 2500;

let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** The line is paced at the rate the session ends up at, so its wire-time allowance matches the line. */
async function silentMidTransfer(baudRates: number[], percent: number): Promise<{ result: Awaited<ReturnType<typeof flashSlot>>; silentForMs: number }> {
  const [spec] = generateStock({ seed: 'silent-hub', count: 1 });
  sim = new Simulator({ jigs: 1, profileFor: () => INSTANT_HUB_PROFILE, timing: { paced: true, baudRate: baudRates[0] ?? 115_200, latencyMs: 1 } });
  sim.jig(1).insert(1, spec!);
  sim.startScenario(parseScenario({ faults: [{ kind: 'brick', target: { jig: 1, slot: 1 }, when: { phase: 'TRANSFER', percent } }] }));
  // From the hub's last acknowledgement (its last progress report) to the session's end.
  let lastProgressAt = performance.now();
  const result = await flashSlot(sim, 1, 1, {
    timeouts: T,
    baudRates,
    blockBytes: BLOCK_BYTES,
    window: WINDOW,
    onEvent: (e) => e.t === 'progress' && (lastProgressAt = performance.now()),
  });
  return { result, silentForMs: performance.now() - lastProgressAt };
}

describe('a hub that goes silent mid-transfer on a clean line', () => {
  it('at the base rate: HUB_TIMEOUT after one IDENTIFY, no block cut, not LINE_SUSPECT', async () => {
    const { result, silentForMs } = await silentMidTransfer([], 10);
    expect(result).toMatchObject({ result: 'FAILED', error: { code: 'HUB_TIMEOUT', phase: 'TRANSFERRING' } });
    expect(result.transfer!.blockSteps).toBeUndefined();
    expect(result.transfer!.blockBytes).toBe(1024);
    expect(result.transfer!.lineSuspect).toBeUndefined();
    // One IDENTIFY (tries × requestTimeoutMs) instead of that BEGIN: faster than before.
    expect(silentForMs).toBeLessThan(BASE_BUDGET_MS);
  }, 30_000);

  it('above the base rate: back to it and HUB_TIMEOUT, as fast as before, no block cut, not LINE_SUSPECT', async () => {
    const { result, silentForMs } = await silentMidTransfer([921_600], 50);
    expect(result).toMatchObject({ result: 'FAILED', error: { code: 'HUB_TIMEOUT', phase: 'TRANSFERRING' } });
    expect(result.transfer!.blockSteps).toBeUndefined();
    expect(result.transfer!.lineSuspect).toBeUndefined();
    expect(silentForMs).toBeLessThan(RAISED_BUDGET_MS + SLACK_MS);
  }, 40_000);
});
