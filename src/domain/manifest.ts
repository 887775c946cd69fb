import type { HubState } from './hub-state.js';
import type { Outcome } from './outcomes.js';

/**
 * What happens to a hub from the party's point of view. RETURN_* hubs go back to the party that
 * sent them, re-flashed, already current or rejected unflashed; SCRAPPED hubs do not
 * IN_PROCESS hubs are still on the bench (including a scrap awaiting confirmation).
 */
export const DISPOSITIONS = ['RETURN_REFLASHED', 'RETURN_ALREADY_CURRENT', 'RETURN_REJECTED', 'SCRAPPED', 'IN_PROCESS', 'EXPECTED', 'NOT_RECEIVED'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export function dispositionOf(hub: { state: HubState; outcome: Outcome | null }): Disposition {
  switch (hub.state) {
    case 'SCRAPPED':
      return 'SCRAPPED';
    case 'EXPECTED':
    case 'NOT_RECEIVED':
      return hub.state;
    case 'REFLASHED':
    case 'ALREADY_CURRENT':
    case 'REJECTED':
    case 'RETURNED':
      return `RETURN_${hub.outcome as 'REFLASHED' | 'ALREADY_CURRENT' | 'REJECTED'}`;
    default:
      return 'IN_PROCESS';
  }
}

/** The facts of a hub a manifest line shows. */
export interface ManifestHub {
  deviceId: string;
  line: number;
  state: HubState;
  outcome: Outcome | null;
  firmwareBefore: string | null;
  firmwareAfter: string | null;
  reasonCode: string | null;
  flags: string[];
  returnedAt: string | null;
  scrapConfirmedBy: string | null;
}

export interface ManifestLine extends ManifestHub {
  disposition: Disposition;
  /** True once the hub was handed back (state RETURNED). */
  returned: boolean;
}

export interface Manifest<W> {
  workOrder: W;
  generatedAt: string;
  /** Re-flashed and already-current hubs, with the versions they now run. */
  returns: ManifestLine[];
  /** Hubs going back unflashed, with the reason. */
  rejected: ManifestLine[];
  scrapped: ManifestLine[];
  inProcess: ManifestLine[];
  /** Expected but not (yet) received; written off as NOT_RECEIVED when the order closes. */
  notReceived: ManifestLine[];
  totals: Record<Disposition, number>;
}

/** The re-delivery manifest of one work order, grouped for the people who pack and check the boxes. */
export function buildManifest<W>(workOrder: W, hubs: readonly ManifestHub[], generatedAt: string): Manifest<W> {
  const lines: ManifestLine[] = hubs.map((h) => ({ ...h, disposition: dispositionOf(h), returned: h.state === 'RETURNED' }));
  const pick = (...d: Disposition[]) => lines.filter((l) => d.includes(l.disposition));
  const totals = Object.fromEntries(DISPOSITIONS.map((d) => [d, 0])) as Record<Disposition, number>;
  for (const l of lines) totals[l.disposition]++;
  return {
    workOrder,
    generatedAt,
    returns: pick('RETURN_REFLASHED', 'RETURN_ALREADY_CURRENT'),
    rejected: pick('RETURN_REJECTED'),
    scrapped: pick('SCRAPPED'),
    inProcess: pick('IN_PROCESS'),
    notReceived: pick('EXPECTED', 'NOT_RECEIVED'),
    totals,
  };
}
