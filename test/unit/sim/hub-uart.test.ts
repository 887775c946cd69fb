import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HubUart } from '../../../jig-sim/hub-uart.js';
import { BAUD_IDLE_REVERT_MS } from '../../../src/session/baud-policy.js';

describe('a simulated hub UART', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function uart(busy = () => false): { uart: HubUart; line: number[] } {
    const line: number[] = [];
    return { uart: new HubUart({ bootBaudRate: 115_200, switchLine: (rate) => void line.push(rate), busy }), line };
  }

  it('offers the standard rates up to its maximum only', () => {
    expect(HubUart.offers(921_600, 921_600)).toBe(true);
    expect(HubUart.offers(1_000_000, 921_600)).toBe(false);
    expect(HubUart.offers(500_000, 4_000_000)).toBe(false);
  });

  it('goes back to its boot rate after 2 s without a valid frame, not before', () => {
    const { uart: u, line } = uart();
    u.switchTo(921_600);
    vi.advanceTimersByTime(BAUD_IDLE_REVERT_MS - 10);
    u.heard();
    vi.advanceTimersByTime(BAUD_IDLE_REVERT_MS - 10);
    expect(u.baudRate).toBe(921_600);
    vi.advanceTimersByTime(20);
    expect(u.baudRate).toBe(115_200);
    expect(line).toEqual([921_600, 115_200]);
  });

  it('does not revert while it has a request in hand or blocks waiting for flash', () => {
    let busy = true;
    const { uart: u } = uart(() => busy);
    u.switchTo(460_800);
    vi.advanceTimersByTime(3 * BAUD_IDLE_REVERT_MS);
    expect(u.baudRate).toBe(460_800);
    busy = false;
    vi.advanceTimersByTime(BAUD_IDLE_REVERT_MS);
    expect(u.baudRate).toBe(115_200);
  });

  it('starts again at its boot rate after a reboot or power loss, and stays idle there', () => {
    const { uart: u, line } = uart();
    u.switchTo(921_600);
    u.reset();
    expect(u.baudRate).toBe(115_200);
    vi.advanceTimersByTime(10 * BAUD_IDLE_REVERT_MS);
    expect(line).toEqual([921_600, 115_200]);
  });

  it('does not revert from a rate below its boot rate: the idle revert is only for rates above it (docs/protocol.md §2.8)', () => {
    const { uart: u, line } = uart();
    u.switchTo(57_600);
    vi.advanceTimersByTime(10 * BAUD_IDLE_REVERT_MS);
    expect(u.baudRate).toBe(57_600);
    expect(line).toEqual([57_600]);
  });
});
