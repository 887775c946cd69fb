import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * A string from a `const` list (the domain's list stays the one source), as `enum`. Not a union of
 * literals: for `anyOf` the response serializer validates each value against every branch, which
 * made a 512-slot answer 4× slower to write (2.2 ms against 0.5).
 */
export const literals = <T extends string>(values: readonly T[]): TUnsafe<T> => Type.Unsafe<T>({ type: 'string', enum: [...values] });

/**
 * The schema or `null`. A schema with one plain `type` (a string, a number, an enum of strings)
 * becomes the same schema with `type: [type, 'null']` (JSON Schema 2020-12, OpenAPI 3.1), which the
 * serializer writes without trying branches; anything else stays a union with `null`.
 */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const plain = JSON.parse(JSON.stringify(schema)) as { type?: unknown; enum?: unknown[] };
  if (typeof plain.type === 'string' && plain.type !== 'object' && plain.type !== 'array' && plain.type !== 'null') {
    return Type.Unsafe<Static<T> | null>({ ...plain, type: [plain.type, 'null'], ...(plain.enum ? { enum: [...plain.enum, null] } : {}) });
  }
  return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()]));
}
