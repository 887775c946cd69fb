import { Type, type Static } from '@sinclair/typebox';
import { HUB_STATES } from '../domain/hub-state.js';
import { OUTCOMES } from '../domain/outcomes.js';
import { SMETS_VERSIONS, SMI_STATUSES } from '../domain/work-order.js';
import { literals, Nullable } from './schema-kit.js';

const NullableString = Nullable(Type.String());

/** One hub on one work order: where it is in the process, and the facts the manifest needs. The one definition (see hub.ts). */
export const WorkOrderHubSchema = Type.Object({
  workOrderId: Type.String(),
  deviceId: Type.String(),
  line: Type.Integer(),
  declaredModel: NullableString,
  declaredFirmwareVersion: NullableString,
  smiStatus: literals(SMI_STATUSES),
  smetsVersion: literals(SMETS_VERSIONS),
  state: literals(HUB_STATES),
  outcome: Nullable(literals(OUTCOMES)),
  /** Why it was rejected, failed or proposed for scrap (an error code). */
  reasonCode: NullableString,
  /** Things a person must look at, e.g. DOWNGRADE_REFUSED: the hub runs newer firmware than the catalogue. */
  flags: Type.Array(Type.String()),
  /** Running version at the first identify on this work order. */
  firmwareBefore: NullableString,
  /** Running version at the outcome (read back after reboot when re-flashed). */
  firmwareAfter: NullableString,
  targetVersion: NullableString,
  attemptCount: Type.Integer(),
  failedAttempts: Type.Integer(),
  receivedAt: NullableString,
  receivedBy: NullableString,
  outcomeAt: NullableString,
  scrapConfirmedAt: NullableString,
  scrapConfirmedBy: NullableString,
  returnedAt: NullableString,
  returnedBy: NullableString,
  updatedAt: Type.String(),
});
export type WorkOrderHubRecord = Static<typeof WorkOrderHubSchema>;
