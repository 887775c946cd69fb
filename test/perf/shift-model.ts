/**
 * A bench shift in simulated time: `slots` slots and one technician. A slot flashes a hub for a
 * cycle drawn from measured seat-to-LED times; the technician does the handling by hand. Nothing
 * here sleeps: events are taken in time order, so an eight-hour shift runs in milliseconds.
 */

/** Seconds of the technician's hands per hub, per step. */
export interface HandlingTimes {
  /** Take a hub out of its sealed box and packaging. */
  unpack: number;
  /** Scan its label (Device ID). */
  scan: number;
  /** Put it in a free slot and close the clamp. */
  seat: number;
  /** Open the clamp and take a finished hub out. */
  unseat: number;
  /** Pack it and put it on its work order's return pallet. */
  pack: number;
}

/** Below this share of the shift idle, the technician is the one the bench waits on. */
export const TECHNICIAN_BUSY_IDLE_SHARE = 0.05;

export interface ShiftOptions {
  slots: number;
  shiftSeconds: number;
  handling: HandlingTimes;
  /** Seat-to-LED seconds of the next hub (one draw per hub). */
  cycleSeconds: () => number;
  /** Hubs the technician unpacks and scans ahead while every slot is busy. Default 1. */
  stageAhead?: number;
}

export interface ShiftResult {
  /** Hubs unseated and packed within the shift. */
  hubs: number;
  hubsPerHour: number;
  /** Share of slot time not spent flashing (waiting for the technician, or empty). */
  slotIdle: number;
  /** Share of the shift the technician had nothing to do. */
  technicianIdle: number;
  /** Hubs per hour if the technician were instant (slots always full), and if flashing were instant. */
  slotBoundPerHour: number;
  technicianBoundPerHour: number;
  bottleneck: 'technician' | 'slots';
  meanCycleSeconds: number;
}

/**
 * The technician serves a finished (or empty) slot first: unseat its hub, seat a scanned one
 * (unpacking and scanning one first if none is staged), then pack the unseated hub. With every slot
 * flashing they unpack and scan up to `stageAhead` hubs ahead; otherwise they wait for the next LED.
 * A hub counts when it is packed within the shift.
 */
export function simulateShift(o: ShiftOptions): ShiftResult {
  const h = o.handling;
  for (const [name, value] of Object.entries(h))
    if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`handling ${name} must be seconds ≥ 0, got ${value}`);
  if (!Number.isInteger(o.slots) || o.slots < 1) throw new RangeError(`slots must be a whole number ≥ 1, got ${o.slots}`);
  const stageAhead = o.stageAhead ?? 1;
  // When each slot's current hub is done (its LED); undefined = empty, waiting for a hub.
  const doneAt: Array<number | undefined> = Array.from({ length: o.slots }, () => undefined);
  let flashing = 0;
  let cycles = 0;
  let cycleSum = 0;
  let now = 0;
  let idle = 0;
  let staged = 0;
  let packed = 0;
  const seat = (slot: number, at: number): void => {
    const cycle = o.cycleSeconds();
    if (!(cycle > 0) || !Number.isFinite(cycle)) throw new RangeError(`a flash cycle must be seconds > 0, got ${cycle}`);
    cycles++;
    cycleSum += cycle;
    // Flashing time inside the shift only.
    flashing += Math.max(0, Math.min(at + cycle, o.shiftSeconds) - at);
    doneAt[slot] = at + cycle;
  };
  while (now < o.shiftSeconds) {
    const waiting = doneAt.findIndex((d) => d === undefined || d <= now);
    if (waiting >= 0) {
      if (staged === 0) {
        now += h.unpack + h.scan;
        staged++;
      }
      const full = doneAt[waiting] !== undefined;
      if (full) now += h.unseat;
      now += h.seat;
      staged--;
      seat(waiting, now);
      // The unseated hub is in hand: packed straight away, so no pile builds up.
      if (full) {
        now += h.pack;
        if (now <= o.shiftSeconds) packed++;
      }
      continue;
    }
    if (staged < stageAhead) {
      now += h.unpack + h.scan;
      staged++;
      continue;
    }
    const next = Math.min(...doneAt.map((d) => d ?? now));
    idle += Math.min(next, o.shiftSeconds) - now;
    now = next;
  }
  const hours = o.shiftSeconds / 3600;
  const meanCycleSeconds = cycleSum / Math.max(1, cycles);
  const handling = h.unpack + h.scan + h.seat + h.unseat + h.pack;
  const slotBoundPerHour = (o.slots * 3600) / meanCycleSeconds;
  const technicianBoundPerHour = handling === 0 ? Number.POSITIVE_INFINITY : 3600 / handling;
  return {
    hubs: packed,
    hubsPerHour: packed / hours,
    slotIdle: 1 - flashing / (o.slots * o.shiftSeconds),
    technicianIdle: idle / o.shiftSeconds,
    slotBoundPerHour,
    technicianBoundPerHour,
    // The technician limits the bench when they are never left waiting for an LED.
    bottleneck: idle / o.shiftSeconds < TECHNICIAN_BUSY_IDLE_SHARE ? 'technician' : 'slots',
    meanCycleSeconds,
  };
}
