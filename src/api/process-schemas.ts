import { Type } from '@sinclair/typebox';
import { HUB_STATES } from '../domain/hub-state.js';
import { DISPOSITIONS } from '../domain/manifest.js';
import { OUTCOMES } from '../domain/outcomes.js';
import { CSP_REGIONS, MAX_WORK_ORDER_HUBS, OPERATOR_ID_PATTERN, WORK_ORDER_ID_PATTERN, WORK_ORDER_STATES } from '../domain/work-order.js';
import { literals, Nullable } from '../records/schema-kit.js';
import { WorkOrderSchema } from '../records/work-order.js';
import { WorkOrderHubSchema } from '../records/work-order-hub.js';

/** TypeBox schemas of the MP155 process routes (docs/work-orders.md). */
export const WorkOrderId = Type.String({ pattern: WORK_ORDER_ID_PATTERN, description: 'work order id from the DCC Service Management System' });
export const SecPartyId = Type.String({ pattern: WORK_ORDER_ID_PATTERN });
export const OperatorId = Type.String({ pattern: OPERATOR_ID_PATTERN });
const NullableString = Nullable(Type.String());
const Text = Type.String({ maxLength: 64 });

export const WorkOrderHeader = {
  id: WorkOrderId,
  secPartyId: SecPartyId,
  cspRegion: literals(CSP_REGIONS),
};

/** JSON hub lines: formats are checked by flashd (every bad line reported), not by the schema. */
export const NewWorkOrderBody = Type.Object(
  {
    ...WorkOrderHeader,
    hubs: Type.Array(
      Type.Object(
        {
          deviceId: Text,
          model: Type.Optional(Nullable(Text)),
          firmwareVersion: Type.Optional(Nullable(Text)),
          smiStatus: Type.Optional(Nullable(Text)),
          smetsVersion: Type.Optional(Nullable(Text)),
        },
        { additionalProperties: false },
      ),
      // No maxItems: past 4,480 hubs the store answers 413 WORK_ORDER_TOO_LARGE, as for a CSV file.
    ),
  },
  { additionalProperties: false },
);

export const ImportQuery = Type.Object(WorkOrderHeader, { additionalProperties: false });

export { WorkOrderSchema } from '../records/work-order.js';
export { WorkOrderHubSchema } from '../records/work-order-hub.js';

export const WorkOrderDetailSchema = Type.Intersect([WorkOrderSchema, Type.Object({ hubs: Type.Array(WorkOrderHubSchema) })]);

export const WorkOrderListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    after: Type.Optional(WorkOrderId),
    state: Type.Optional(literals(WORK_ORDER_STATES)),
    secPartyId: Type.Optional(SecPartyId),
  },
  { additionalProperties: false },
);

export const IntakeBody = Type.Object(
  { deviceId: Type.String({ minLength: 1, maxLength: 64 }), workOrderId: Type.Optional(WorkOrderId) },
  { additionalProperties: false },
);

export const IntakeResultSchema = Type.Object({
  decision: literals(['ACCEPTED', 'REJECTED'] as const),
  deviceId: Type.String(),
  workOrderId: NullableString,
  code: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  hub: Type.Union([WorkOrderHubSchema, Type.Null()]),
});

export const ReturnsBody = Type.Object(
  { deviceIds: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: MAX_WORK_ORDER_HUBS }), secPartyId: Type.Optional(SecPartyId) },
  { additionalProperties: false },
);

const ManifestLineSchema = Type.Object({
  deviceId: Type.String(),
  line: Type.Integer(),
  disposition: literals(DISPOSITIONS),
  state: literals(HUB_STATES),
  outcome: Type.Union([literals(OUTCOMES), Type.Null()]),
  returned: Type.Boolean(),
  firmwareBefore: NullableString,
  firmwareAfter: NullableString,
  reasonCode: NullableString,
  flags: Type.Array(Type.String()),
  returnedAt: NullableString,
  scrapConfirmedBy: NullableString,
});

export const ManifestSchema = Type.Object({
  workOrder: WorkOrderSchema,
  generatedAt: Type.String(),
  returns: Type.Array(ManifestLineSchema),
  rejected: Type.Array(ManifestLineSchema),
  scrapped: Type.Array(ManifestLineSchema),
  inProcess: Type.Array(ManifestLineSchema),
  notReceived: Type.Array(ManifestLineSchema),
  totals: Type.Record(Type.String(), Type.Integer()),
});

export const FormatQuery = Type.Object({ format: Type.Optional(literals(['json', 'csv'] as const)) }, { additionalProperties: false });
