import { Type } from '@sinclair/typebox';
import { OUTCOMES } from '../domain/outcomes.js';
import { literals } from '../records/schema-kit.js';

/** The public records are defined once in src/records; routes take their schemas from here. */
export { literals, Nullable } from '../records/schema-kit.js';
export { AttemptSchema } from '../records/attempt.js';
export { HubDetailSchema, HubSchema } from '../records/hub.js';
export { SlotSchema } from '../records/slot.js';

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    requestId: Type.Optional(Type.String()),
  }),
});

export const HubListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    after: Type.Optional(Type.String({ pattern: '^[0-9A-F]{2}(-[0-9A-F]{2}){7}$' })),
    outcome: Type.Optional(literals(OUTCOMES)),
  },
  { additionalProperties: false },
);
