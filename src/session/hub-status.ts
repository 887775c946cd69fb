/**
 * Status codes a hub puts in an ERROR frame (docs/protocol.md §2.4). The session maps each to a
 * flashd error code, so a protocol status always surfaces as a typed error carrying that status.
 */
export const HUB_STATUS = {
  UNKNOWN_COMMAND: 1,
  BAD_LENGTH: 2,
  BAD_STATE: 3,
  LOCKED: 4,
  AUTH_FAILED: 5,
  LOCKED_OUT: 6,
  BAD_PARAMETER: 7,
  IMAGE_TOO_LARGE: 8,
  FLASH_WRITE_FAILED: 9,
  NOT_VERIFIED: 10,
  INFLATE_FAILED: 11,
  BAUD_UNSUPPORTED: 12,
  NO_IMAGE: 13,
  BUSY: 14,
} as const;

export type HubStatusName = keyof typeof HUB_STATUS;

const NAME_BY_STATUS = new Map<number, HubStatusName>(Object.entries(HUB_STATUS).map(([name, code]) => [code, name as HubStatusName]));

export function hubStatusName(status: number): string {
  return NAME_BY_STATUS.get(status) ?? `STATUS_${status}`;
}
