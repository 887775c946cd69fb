import { formatCsv } from '../domain/csv.js';

/** A re-flashed hub as the SSMI upload needs it. */
export interface SsmiHub {
  deviceId: string;
  firmwareAfter: string | null;
  outcome: string | null;
}

/**
 * Option B (seed §6.3.3): the file DCC Logistics uploads through the SSMI so the DSP maps each
 * re-flashed hub's Device ID to its new Firmware Version. Only hubs flashd re-flashed and read back
 * are listed; already-current, rejected and scrapped hubs did not change version
 * (docs/work-orders.md, "SSMI file"). Rows are sorted by Device ID so the same batch gives the
 * same bytes.
 */
export function ssmiFile(hubs: readonly SsmiHub[]): string {
  const rows = hubs
    .filter((h) => h.outcome === 'REFLASHED' && h.firmwareAfter !== null)
    .map((h) => [h.deviceId, h.firmwareAfter] as const)
    .sort((a, b) => a[0].localeCompare(b[0]));
  return formatCsv(['deviceId', 'firmwareVersion'], rows);
}
