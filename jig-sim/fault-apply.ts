import { parseFirmwareVersion } from '../src/domain/identifiers.js';
import type { SimLine } from './sim-line.js';
import type { Simulator } from './simulator.js';
import type { Fault, FaultOf } from './scenario.js';
import type { VirtualHub } from './virtual-hub.js';
import type { SimSlot, VirtualJig } from './virtual-jig.js';
import type { WireFaultRates } from './wire-faults.js';

/** Where a fault lands: a jig, and (for slot and hub faults) a slot and the hub in it. */
export interface FaultSite {
  jig: VirtualJig | undefined;
  slot: SimSlot | undefined;
  hub: VirtualHub | undefined;
}

/** Timers a fault leaves behind (durations, re-insertion), cancelled when the scenario stops. */
export type Later = (ms: number, fn: () => void) => void;

/** Which rate fields of a line's noise a noise fault sets. */
function noiseRates(fault: FaultOf<'bit-errors' | 'drop-bytes' | 'duplicate-bytes' | 'garbage'>): WireFaultRates {
  switch (fault.kind) {
    case 'bit-errors':
      return { bitErrorRate: fault.ratePerBit };
    case 'drop-bytes':
      return { dropRate: fault.rate };
    case 'duplicate-bytes':
      return { duplicateRate: fault.rate };
    case 'garbage':
      return { garbageRate: fault.rate ?? 0, ...(fault.lengthBytes ? { garbageBytes: fault.lengthBytes } : {}) };
  }
}

function noiseOn(line: SimLine, fault: FaultOf<'bit-errors' | 'drop-bytes' | 'duplicate-bytes' | 'garbage'>, later: Later): void {
  const direction = fault.direction ?? 'both';
  const sides = [...(direction !== 'to-host' ? [line.toDeviceFaults] : []), ...(direction !== 'to-hub' ? [line.toHostFaults] : [])];
  const rates = noiseRates(fault);
  if (fault.kind === 'garbage' && fault.rate === undefined) {
    // No rate: one burst now, of the fault's length; the line's own noise settings stay as they are.
    if (direction !== 'to-host') line.injectGarbage('to-device', fault.lengthBytes);
    if (direction !== 'to-hub') line.injectGarbage('to-host', fault.lengthBytes);
    return;
  }
  for (const side of sides) side.set({ ...side.rates, ...rates });
  if (fault.durationMs !== undefined) {
    later(fault.durationMs, () => {
      for (const side of sides) {
        const rest: WireFaultRates = { ...side.rates };
        for (const key of Object.keys(rates) as Array<keyof WireFaultRates>) delete rest[key];
        side.set(rest);
      }
    });
  }
}

/**
 * Makes one fault happen now at a site. Returns a short description of what was done, or why
 * nothing was (no hub in the slot), for the scenario log.
 */
export function applyFault(sim: Simulator, fault: Fault, site: FaultSite, later: Later): string {
  const { jig, slot, hub } = site;
  const where = `${jig?.id ?? '-'}/${slot?.number ?? '-'}${hub ? ` ${hub.deviceId}` : ''}`;
  switch (fault.kind) {
    case 'bit-errors':
    case 'drop-bytes':
    case 'duplicate-bytes':
    case 'garbage':
      if (fault.line === 'control') {
        if (!jig) return `${fault.kind}: no jig`;
        noiseOn(jig.control, fault, later);
        return `${fault.kind} on ${jig.id}/control`;
      }
      if (!slot) return `${fault.kind}: no slot`;
      noiseOn(slot.line, fault, later);
      return `${fault.kind} on ${where}`;
    case 'control-disconnect':
      if (!jig) return `${fault.kind}: no jig`;
      if (fault.refuseMs) jig.control.refuseHosts(fault.refuseMs);
      jig.control.detachHost();
      return `${fault.kind} on ${jig.id}`;
    case 'jig-reboot':
      if (!jig) return `${fault.kind}: no jig`;
      jig.reboot(fault.durationMs ?? 500);
      return `${fault.kind} ${fault.durationMs ?? 500} ms on ${jig.id}`;
    case 'brown-out':
      if (!jig || !slot) return `${fault.kind}: no slot`;
      jig.brownOut(slot.number, fault.durationMs);
      return `${fault.kind} ${fault.durationMs} ms on ${where}`;
    default:
      break;
  }
  if (!hub) return `${fault.kind}: no hub at ${where}`;
  switch (fault.kind) {
    case 'brick':
      if (fault.untilPowerCycle) slot?.responder?.hang();
      else hub.defects.bricked = true;
      break;
    case 'remove': {
      if (!jig || !slot || slot.hub !== hub) return `remove: ${hub.deviceId} is not in a slot`;
      jig.remove(slot.number);
      if (fault.reinsertAfterMs !== undefined) later(fault.reinsertAfterMs, () => !slot.hub && sim.shelf.has(hub.deviceId) && jig.insert(slot.number, hub));
      break;
    }
    case 'unlock-refused':
      hub.defects.wrongKey = true;
      if (fault.lockoutAfter !== undefined) hub.defects.maxUnlockAttempts = fault.lockoutAfter;
      break;
    case 'flash-write-error':
      hub.defects.badSectors.set(fault.sector, fault.times ?? Number.POSITIVE_INFINITY);
      break;
    case 'hash-mismatch': {
      const offset = fault.offset ?? 512;
      if (hub.held && offset < hub.held.committedBytes)
        hub.flash[offset]! ^= 0x01; // already programmed: the cell flips now
      else hub.defects.weakBytes.set(offset, fault.times ?? 1);
      break;
    }
    case 'slow-hub':
      hub.defects.slowdown = fault.factor;
      break;
    case 'boot-version':
      hub.defects.bootVersion = { version: parseFirmwareVersion(fault.firmwareVersion), times: fault.times ?? 1 };
      break;
  }
  return `${fault.kind} on ${where}`;
}
