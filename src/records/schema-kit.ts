import { Type, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';

/** A union of string literals from a `const` list (the domain's list stays the one source). */
export const literals = <T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> => Type.Union(values.map((v) => Type.Literal(v)));

/** The schema or `null`. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
