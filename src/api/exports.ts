import type { FastifyReply } from 'fastify';
import { formatCsv } from '../domain/csv.js';
import type { Manifest, ManifestLine } from '../domain/manifest.js';
import type { PartyCharges, WorkOrderCharges } from '../store/charges-store.js';
import type { WorkOrderRecord } from '../records/work-order.js';

/**
 * CSV renderings of the manifest and the charging record (formats in docs/work-orders.md). Every
 * row carries its work order and party, so a file still says whose hubs these are once it is
 * separated from the request that produced it.
 */
export function manifestCsv(manifest: Manifest<WorkOrderRecord>): string {
  const { workOrder } = manifest;
  const lines: ManifestLine[] = [...manifest.returns, ...manifest.rejected, ...manifest.scrapped, ...manifest.inProcess, ...manifest.notReceived];
  return formatCsv(
    ['workOrderId', 'secPartyId', 'deviceId', 'disposition', 'state', 'returned', 'firmwareBefore', 'firmwareAfter', 'reasonCode', 'flags'],
    lines.map((l) => [
      workOrder.id,
      workOrder.secPartyId,
      l.deviceId,
      l.disposition,
      l.state,
      l.returned,
      l.firmwareBefore,
      l.firmwareAfter,
      l.reasonCode,
      l.flags.join(' '),
    ]),
  );
}

const COUNT_COLUMNS = ['hubs', 'reflashed', 'alreadyCurrent', 'rejected', 'scrapped', 'inProcess', 'notReceived'] as const;

export function workOrderChargesCsv(rows: readonly WorkOrderCharges[]): string {
  return formatCsv(
    ['secPartyId', 'workOrderId', 'cspRegion', 'workOrderState', 'createdAt', ...COUNT_COLUMNS],
    rows.map((r) => [r.secPartyId, r.workOrderId, r.cspRegion, r.workOrderState, r.createdAt, ...COUNT_COLUMNS.map((c) => r[c])]),
  );
}

export function partyChargesCsv(rows: readonly PartyCharges[]): string {
  return formatCsv(
    ['secPartyId', 'workOrders', ...COUNT_COLUMNS],
    rows.map((r) => [r.secPartyId, r.workOrders, ...COUNT_COLUMNS.map((c) => r[c])]),
  );
}

/** Sends a CSV file as a download with a name that says what it is. */
export function sendCsv(reply: FastifyReply, filename: string, body: string): FastifyReply {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(body);
}
