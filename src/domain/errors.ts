/**
 * The one catalogue of error codes. Callers branch on `err.code`, never on the message; the
 * catalogue is mirrored in docs/errors.md and a test keeps the two in step.
 */
export const ERROR_CODES = {
  // configuration
  CONFIG_INVALID: 'the configuration file does not match the schema',
  CONFIG_UNREADABLE: 'the configuration file cannot be read or is not JSON',
  API_LISTEN_FAILED: 'the status API cannot listen on api.host:api.port (port in use, or address not available)',
  // firmware images
  MANIFEST_SIGNATURE_INVALID: 'the image manifest signature does not verify with any trusted key',
  TRUSTED_KEY_INVALID: 'a trusted manifest key file cannot be read or is not an Ed25519 public key',
  MANIFEST_INVALID: 'the image manifest is malformed',
  IMAGE_HASH_MISMATCH: 'an image file does not match the SHA-256 in the manifest',
  IMAGE_SIZE_MISMATCH: 'an image file does not match the size in the manifest',
  IMAGE_MISSING: 'an image named in the manifest is not on disk',
  IMAGE_TOO_LARGE: 'an image is larger than flashd accepts (16 MiB)',
  OTA_HEADER_INVALID: 'an image does not start with a valid ZigBee OTA header',
  OTA_HEADER_MISMATCH: 'an image OTA header disagrees with the manifest',
  // identifiers and input
  DEVICE_ID_INVALID: 'a Device ID is not an EUI-64 in the form 00-DB-12-34-56-78-90-A0',
  FIRMWARE_VERSION_INVALID: 'a firmware version is not 8 hex digits',
  NOT_FOUND: 'the requested resource does not exist',
  // links and frames
  LINK_URL_INVALID: 'a link address is neither a device path nor socket://host:port',
  LINK_CLOSED: 'the link closed while a reply was awaited',
  LINK_OPEN_FAILED: 'the link could not be opened',
  ABORTED: 'an operation was cancelled through its AbortSignal (flashd is stopping)',
  FRAME_CRC: 'a frame failed its CRC-32 check',
  FRAME_TOO_LONG: 'a frame exceeded the maximum frame size',
  FRAME_MALFORMED: 'a frame could not be decoded',
  // jig control channel
  JIG_TIMEOUT: 'the jig did not answer a command in time',
  JIG_ERROR: 'the jig answered a command with an error',
  JIG_PROTOCOL: 'the jig sent a line that does not follow the control protocol',
  // hub session
  HUB_TIMEOUT: 'the hub did not answer in time',
  HUB_ERROR: 'the hub answered with an error status',
  HUB_PROTOCOL: 'the hub sent a reply that does not follow the hub link protocol',
  UNLOCK_REFUSED: 'the hub refused the unlock response',
  UNLOCK_LOCKED_OUT: 'the hub is locked out after too many failed unlocks',
  UNLOCK_KEY_MISSING: 'no unlock key is configured for the hub manufacturer',
  TRANSFER_FAILED: 'the image transfer failed after bounded retries',
  LINE_SUSPECT: "the slot's line stayed too noisy at the smallest block and lowest rate: move the hub, check the slot",
  RESUME_PREFIX_MISMATCH: 'the image prefix held by the hub does not match the image',
  VERIFY_MISMATCH: 'the SHA-256 computed on the hub differs from the image',
  READBACK_MISMATCH: 'the version running after reboot is not the target version',
  DEVICE_ID_CHANGED: 'the hub in the slot changed during the session',
  SESSION_INTERRUPTED: 'the session stopped at a safe point before it finished',
  HUB_REMOVED: 'the hub was removed from the slot during the session',
  SLOT_POWER_FAULT: 'the slot supply tripped during the session (the jig reported POWERFAULT)',
  // eligibility
  MODEL_UNKNOWN: 'no production image is catalogued for the Device Model',
  HARDWARE_OUT_OF_RANGE: 'the hub hardware version is outside the image hardware range',
  DOWNGRADE_REFUSED: 'the hub runs a newer version than the catalogue; flashd never downgrades',
  FLASHED_HUB_INELIGIBLE: 'a hub whose firmware this bench activated now fails an eligibility check; scrap is proposed',
  // work orders (MP155 process); line problems are reported together under WORK_ORDER_INVALID
  WORK_ORDER_INVALID: 'a work order or its import file has invalid lines; nothing was stored',
  WORK_ORDER_EXISTS: 'a work order with this id already exists',
  WORK_ORDER_NOT_OPEN: 'the work order is closed or cancelled',
  WORK_ORDER_NOT_SETTLED: 'the work order still has hubs that are neither returned nor scrapped',
  WORK_ORDER_HAS_RECEIVED_HUBS: 'the work order cannot be cancelled: hubs on it were received',
  WORK_ORDER_EMPTY: 'a work order lists no hubs',
  WORK_ORDER_TOO_LARGE: 'a work order lists more hubs than flashd accepts in one order',
  WORK_ORDER_DUPLICATE_HUB: 'a Device ID appears twice in one work order',
  WORK_ORDERS_OPEN_LIMIT: 'as many work orders are open as limits.maxOpenWorkOrders allows; close or cancel one first',
  HUB_IMPORT_RATE_LIMIT: 'new work orders listed more hubs in the last hour than limits.maxNewHubsPerHour allows',
  CSV_MALFORMED: 'a CSV line cannot be parsed (quoting or encoding)',
  CSV_HEADER_INVALID: 'the CSV header is missing, repeats a column, or names an unknown column',
  CSV_COLUMN_COUNT: 'a CSV line has a different number of fields than the header',
  SMI_STATUS_INVALID: 'an SMI status is not one of the SMI status values',
  PERIOD_INVALID: 'a reporting period is not a date or date-time at each end, with from before to',
  SMETS_VERSION_INVALID: 'a SMETS version is neither SMETS1 nor SMETS2',
  SEC_PARTY_ID_INVALID: 'a SEC Party id is not 1..64 letters, digits, ".", "_" or "-"',
  WORK_ORDER_ID_INVALID: 'a work order id is not 1..64 letters, digits, ".", "_" or "-"',
  OPERATOR_ID_INVALID: 'an operator id is not 1..64 letters, digits, ".", "_", "@" or "-"',
  // intake, slot binding and the hub process
  HUB_ON_OPEN_WORK_ORDER: 'the hub is already on another open work order',
  HUB_NOT_ON_WORK_ORDER: 'the hub is not on any open work order',
  HUB_NOT_ON_THIS_WORK_ORDER: 'the hub belongs to a different work order',
  HUB_ALREADY_RECEIVED: 'the hub was already received at intake',
  WORK_ORDER_CLOSED: 'the hub is only on a closed work order',
  WORK_ORDER_CANCELLED: 'the hub is only on a cancelled work order',
  SMI_STATUS_NOT_PENDING: 'the hub SMI status on the work order is not Pending',
  NOT_SMETS2: 'the hub is not a SMETS2 Communications Hub',
  HUB_NOT_RECEIVED: 'the hub is on a work order but was not accepted at intake',
  HUB_ALREADY_DONE: 'the hub already has its outcome on this work order and awaits return',
  HUB_NOT_FLASHABLE: 'the hub is rejected, scrapped, returned or being flashed elsewhere',
  HUB_MODEL_MISMATCH: 'the Device Model read from the hub differs from the work order',
  ATTEMPTS_EXHAUSTED: 'the hub failed as many attempts as process.maxAttempts allows',
  HUB_TRANSITION_ILLEGAL: 'the hub state does not allow this step',
  HUB_NOT_IN_SLOT: 'the hub is not sitting idle in a slot of this bench',
  SLOT_UNAVAILABLE: 'the slot holding the hub cannot start a session now: its jig or its serial link is down',
  // quality guards (docs/quality-guards.md)
  WAITING_CANARY: "the hub's model runs a canary of its new image: the hub waits until the canary passes or a supervisor releases it",
  MODEL_HALTED: 'the model guard halted new sessions for this Device Model and image version; a supervisor resumes it',
  SLOT_SUSPECT: 'the slot guard took the slot out of service (line faults, or hubs that failed here and passed elsewhere)',
  GUARD_NOT_HALTED: 'the guard named has nothing to release or resume (it is not halted, suspect or running a canary)',
  RETURN_PARTY_MISMATCH: 'hubs go back only to the SEC Party whose work order they came on',
  // upstream N3 reporting (outbox)
  N3_UNREACHABLE: 'the N3 client could not be reached, or the connection failed before it answered',
  N3_RETRY_LATER: 'the N3 client asked for the notification again later (409 in flight, 429, 5xx)',
  N3_REFUSED: 'the N3 client refused the request itself (authentication, address): check the configuration',
  N3_REJECTED: 'the N3 client rejected the notification as invalid (400, 422): it is a dead letter',
  N3_ACK_INVALID: 'a 2xx answer from the N3 client did not acknowledge the idempotency key sent',
  N3_FACTS_MISSING: 'a final outcome has no source for a mandatory N3 field and cannot be reported',
  OUTBOX_NOT_DEAD: 'only a dead-lettered notification can be re-queued',
  // jig simulator (test and demo tooling)
  SCENARIO_INVALID: 'a simulator scenario file does not match the scenario format',
  SIM_ACTION_INVALID: 'a simulator action names no known action, jig, slot or hub',
  SIM_PTY_FAILED: 'the simulator could not create a PTY through socat',
  // status API requests (HTTP status in docs/api.md)
  REQUEST_INVALID: 'a request failed its schema, is not valid JSON or is not valid HTTP',
  REQUEST_TOO_LARGE: 'a request body is larger than the API accepts (the message names the limit)',
  REQUEST_URL_TOO_LONG: 'a path segment of the request URL is longer than the API accepts',
  REQUEST_HEADERS_TOO_LARGE: 'the request line and headers are larger than the API accepts',
  REQUEST_MEDIA_TYPE: 'a request body is not application/json, or not text/csv where CSV is taken',
  REQUEST_TIMEOUT: 'the request did not arrive completely in time',
  DASHBOARD_NOT_BUILT: 'the dashboard page has not been built (npm run build); the API works without it',
  // API access (docs/api.md, "Access")
  AUTH_REQUIRED: 'the route needs a token (Authorization: Bearer) or a technician sign-in',
  AUTH_TOKEN_INVALID: 'the bearer token is not one flashd issued (mistyped, or from another bench)',
  AUTH_TOKEN_REVOKED: 'the bearer token was revoked (flashctl token revoke)',
  AUTH_ROLE_FORBIDDEN: 'the role of the caller is below the role the route needs (the message names both)',
  AUTH_RATE_LIMITED: 'too many failed authentications from this client address in the last minute',
  AUTH_SIGN_IN_REFUSED: 'a technician sign-in was refused: wrong or missing PIN, or no PIN file for a remote client',
  HOST_NOT_ALLOWED: 'the request Host header is not one of the names the API answers (api.allowedHosts)',
  ORIGIN_FORBIDDEN: 'a page from another origin sent a state-changing request (api.corsOrigins lists the allowed ones)',
  TOKENS_FILE_INVALID: 'the API tokens file (api.tokensFile) cannot be read or does not hold valid token entries',
  TOKEN_NOT_FOUND: 'no API token has that id or name',
  // store
  STORE_INVALID_STATE: 'the store refused a change that would break its invariants',
  STORE_UNUSABLE: 'the store cannot be opened at store.path (a file where its folder should be, unreadable, not SQLite, or a newer schema)',
  STORE_WRITE_FAILED: 'an attempt could not be recorded in the store (disk full, I/O error); the slot shows it until the hub is taken out',
  STORE_READ_FAILED:
    'a report could not be read from the store (its reader thread failed or SQLite refused the read); nothing was changed, asking again may work',
  // serial adapters (jig discovery)
  ADAPTERS_UNAVAILABLE: 'the serial adapters cannot be listed (sysfs unreadable on Linux, serialport list() failed elsewhere)',
  BACKUP_FAILED: 'a backup of the store could not be written (the message names the file and why)',
  BACKUP_INVALID: 'a backup file is not a sound copy of the store (integrity, schema version or rows; the message lists what failed)',
  STORE_FULL: 'the store cannot grow (disk full or its size limit): no new session starts until space is freed; committed results are kept',
  INTERNAL: 'an unexpected internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable `code` from {@link ERROR_CODES}, optional structured details and a cause. */
export class FlashdError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlashdError';
    this.code = code;
    this.details = options.details;
  }
}

export function isFlashdError(err: unknown, code?: ErrorCode): err is FlashdError {
  return err instanceof FlashdError && (code === undefined || err.code === code);
}

/** Plain, structured-clone-safe shape of an error for results that cross threads or go into the store. */
export interface ErrorRecord {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function toErrorRecord(err: unknown): ErrorRecord {
  if (err instanceof FlashdError) {
    return err.details ? { code: err.code, message: err.message, details: { ...err.details } } : { code: err.code, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}
