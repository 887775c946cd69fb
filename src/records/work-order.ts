import { Type, type Static } from '@sinclair/typebox';
import type { HubState } from '../domain/hub-state.js';
import { CSP_REGIONS, WORK_ORDER_STATES } from '../domain/work-order.js';
import { literals, Nullable } from './schema-kit.js';

/** Where a work order came from. */
export const WORK_ORDER_SOURCES = ['api', 'csv', 'demo'] as const;

/** A work order as the API and flashctl show it; the one definition (see hub.ts). */
export const WorkOrderSchema = Type.Object({
  id: Type.String(),
  secPartyId: Type.String(),
  cspRegion: literals(CSP_REGIONS),
  state: literals(WORK_ORDER_STATES),
  source: literals(WORK_ORDER_SOURCES),
  createdAt: Type.String(),
  createdBy: Type.String(),
  closedAt: Nullable(Type.String()),
  closedBy: Nullable(Type.String()),
  /** Hubs on the order by state (states with no hubs are left out). */
  counts: Type.Unsafe<Partial<Record<HubState, number>>>(Type.Record(Type.String(), Type.Integer())),
  hubCount: Type.Integer(),
});
export type WorkOrderRecord = Static<typeof WorkOrderSchema>;
