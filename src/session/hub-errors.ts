import { FlashdError, type ErrorCode } from '../domain/errors.js';
import { HUB_STATUS, hubStatusName } from './hub-status.js';

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [HUB_STATUS.AUTH_FAILED]: 'UNLOCK_REFUSED',
  [HUB_STATUS.LOCKED_OUT]: 'UNLOCK_LOCKED_OUT',
  [HUB_STATUS.UNKNOWN_COMMAND]: 'HUB_PROTOCOL',
  [HUB_STATUS.BAD_LENGTH]: 'HUB_PROTOCOL',
};

/** Turns a hub ERROR frame into a typed error that carries the hub's status and its name. */
export function hubStatusError(status: number, text: string, awaiting: string): FlashdError {
  const name = hubStatusName(status);
  const code = CODE_BY_STATUS[status] ?? 'HUB_ERROR';
  return new FlashdError(code, `hub answered ${name}${text ? `: ${text}` : ''} (awaiting ${awaiting})`, {
    details: { hubStatus: status, hubStatusName: name },
  });
}
