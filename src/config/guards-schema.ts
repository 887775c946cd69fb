import { Type } from '@sinclair/typebox';
import { DEFAULT_GUARD_THRESHOLDS as D } from '../domain/quality-guards.js';

const Count = (value: number, max: number, description: string) => Type.Integer({ minimum: 1, maximum: max, default: value, description });

/** `guards`: the quality guards' thresholds (docs/quality-guards.md explains each default). */
export const GuardsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: D.enabled, description: 'false lets every session through (no canary, no halts, no suspect slots)' }),
    canary: Type.Object(
      {
        hubs: Type.Integer({
          minimum: 0,
          maximum: 1000,
          default: D.canary.hubs,
          description: 'hubs of a model that must pass first time with a new image before the rest are flashed; 0: no canary',
        }),
        concurrent: Count(D.canary.concurrent, 64, 'canary sessions at once'),
      },
      { additionalProperties: false, default: {} },
    ),
    model: Type.Object(
      {
        windowSessions: Count(D.model.windowSessions, 10_000, 'last sessions per Device Model and image version the model guard looks at'),
        minFailures: Count(D.model.minFailures, 10_000, 'hub failures in the window that halt the model (together with maxFailureRate)'),
        maxFailureRate: Type.Number({
          exclusiveMinimum: 0,
          maximum: 1,
          default: D.model.maxFailureRate,
          description: 'share of the window that failed that halts the model (together with minFailures)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    slot: Type.Object(
      {
        windowSessions: Count(D.slot.windowSessions, 1000, 'last sessions per slot the slot guard looks at'),
        minFaults: Count(D.slot.minFaults, 1000, 'slot faults in the window that take the slot out of service (at most windowSessions)'),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
