import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { parsePeriod } from '../../domain/billing-period.js';
import { buildManifest } from '../../domain/manifest.js';
import { ssmiFile } from '../../upstream/ssmi-file.js';
import type { ApiDeps } from '../app.js';
import { manifestCsv, partyChargesCsv, sendCsv, workOrderChargesCsv } from '../exports.js';
import { ManifestSchema, SecPartyId, WorkOrderId } from '../process-schemas.js';
import { ErrorBody, Nullable, literals } from '../schemas.js';

const IdParams = Type.Object({ id: WorkOrderId });
const Format = Type.Optional(literals(['json', 'csv'] as const));
const ManifestQuery = Type.Object({ format: Format }, { additionalProperties: false });
const ChargesQuery = Type.Object(
  {
    by: Type.Optional(literals(['work-order', 'party'] as const)),
    secPartyId: Type.Optional(SecPartyId),
    workOrderId: Type.Optional(WorkOrderId),
    /** Billing period, checked by parsePeriod (PERIOD_INVALID names the bad end). */
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    format: Format,
  },
  { additionalProperties: false },
);
const SsmiQuery = Type.Object({ workOrderId: Type.Array(WorkOrderId, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });
const Counts = {
  hubs: Type.Integer(),
  reflashed: Type.Integer(),
  alreadyCurrent: Type.Integer(),
  rejected: Type.Integer(),
  scrapped: Type.Integer(),
  inProcess: Type.Integer(),
  notReceived: Type.Integer(),
};
const ChargesReply = Type.Object({
  by: literals(['work-order', 'party'] as const),
  period: Type.Object({ from: Nullable(Type.String()), to: Nullable(Type.String()) }),
  items: Type.Array(
    Type.Object({
      ...Counts,
      secPartyId: Type.String(),
      workOrderId: Type.Optional(Type.String()),
      cspRegion: Type.Optional(Type.String()),
      workOrderState: Type.Optional(Type.String()),
      createdAt: Type.Optional(Type.String()),
      workOrders: Type.Optional(Type.Integer()),
    }),
  ),
});
const errors = { 400: ErrorBody, 404: ErrorBody };

/** Re-delivery manifest, charging record and the SSMI upload file (Option B). CSV formats: docs/work-orders.md. */
export const reportRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof ManifestQuery> }>(
    '/work-orders/:id/manifest',
    { config: { role: 'viewer' }, schema: { params: IdParams, querystring: ManifestQuery, response: { 200: ManifestSchema, ...errors } } },
    async (request, reply) => {
      const { id } = request.params;
      const { order, hubs } = await deps.reports.read('workOrderWithHubs', id);
      const manifest = buildManifest(order, hubs, new Date().toISOString());
      return request.query.format === 'csv' ? sendCsv(reply, `manifest-${id}.csv`, manifestCsv(manifest)) : manifest;
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/work-orders/:id/ssmi',
    { config: { role: 'viewer' }, schema: { params: IdParams, response: errors } },
    async (request, reply) => {
      const { id } = request.params;
      return sendCsv(reply, `ssmi-${id}.csv`, ssmiFile(await deps.reports.read('workOrderHubs', [id])));
    },
  );

  /** A batch: several work orders in one SSMI file (`?workOrderId=A&workOrderId=B`). */
  app.get<{ Querystring: Static<typeof SsmiQuery> }>(
    '/ssmi',
    { config: { role: 'viewer' }, schema: { querystring: SsmiQuery, response: errors } },
    async (request, reply) => {
      const ids = [...new Set(request.query.workOrderId)];
      const hubs = await deps.reports.read('workOrderHubs', ids);
      return sendCsv(reply, `ssmi-${ids.length === 1 ? ids[0] : `batch-${ids.length}`}.csv`, ssmiFile(hubs));
    },
  );

  app.get<{ Querystring: Static<typeof ChargesQuery> }>(
    '/charges',
    { config: { role: 'viewer' }, schema: { querystring: ChargesQuery, response: { 200: ChargesReply, 400: ErrorBody } } },
    async (request, reply) => {
      const { by = 'work-order', format, secPartyId, workOrderId, from, to } = request.query;
      const period = parsePeriod({ from, to });
      const suffix = period.from || period.to ? `-${(period.from ?? 'start').slice(0, 10)}-${(period.to ?? 'now').slice(0, 10)}` : '';
      if (by === 'party') {
        const items = await deps.reports.read('chargesByParty', { secPartyId, period });
        return format === 'csv' ? sendCsv(reply, `charges-by-party${suffix}.csv`, partyChargesCsv(items)) : { by, period, items };
      }
      const items = await deps.reports.read('chargesByWorkOrder', { secPartyId, workOrderId, period });
      return format === 'csv' ? sendCsv(reply, `charges-by-work-order${suffix}.csv`, workOrderChargesCsv(items)) : { by, period, items };
    },
  );
};
