import { parseCsv } from './csv.js';
import { isFlashdError, type ErrorCode } from './errors.js';
import { parseDeviceId, parseFirmwareVersion, type DeviceId, type FirmwareVersion } from './identifiers.js';
import { MAX_WORK_ORDER_HUBS, SMETS_VERSIONS, SMI_STATUSES, canonical, type SmetsVersion, type SmiStatus } from './work-order.js';

/** A hub line as given, before checks: from a CSV record or from the JSON body. */
export interface WorkOrderLineInput {
  deviceId: string;
  model?: string | null | undefined;
  firmwareVersion?: string | null | undefined;
  smiStatus?: string | null | undefined;
  smetsVersion?: string | null | undefined;
}

/** A checked hub line. Absent SMI status means Pending and absent SMETS version means SMETS2 (docs/work-orders.md). */
export interface WorkOrderLine {
  /** CSV line number, or 1-based position in the JSON `hubs` array. */
  line: number;
  deviceId: DeviceId;
  model: string | null;
  firmwareVersion: FirmwareVersion | null;
  smiStatus: SmiStatus;
  smetsVersion: SmetsVersion;
}

export interface LineProblem {
  line: number;
  code: ErrorCode;
  message: string;
  deviceId?: string;
}

type Column = keyof WorkOrderLineInput;
const COLUMN_NAMES: Readonly<Record<string, Column>> = {
  deviceid: 'deviceId',
  model: 'model',
  devicemodel: 'model',
  firmwareversion: 'firmwareVersion',
  currentfirmwareversion: 'firmwareVersion',
  smistatus: 'smiStatus',
  smetsversion: 'smetsVersion',
};

/**
 * Reads the work order CSV (docs/work-orders.md): a header naming `deviceId` and any of `model`,
 * `firmwareVersion`, `smiStatus`, `smetsVersion` in any order, then one hub per line.
 */
export function linesFromCsv(text: string): { inputs: Array<{ line: number; input: WorkOrderLineInput }>; problems: LineProblem[] } {
  const parsed = parseCsv(text);
  const problems: LineProblem[] = parsed.problems;
  const records = parsed.records;
  const [head, ...rows] = records;
  if (!head)
    return {
      inputs: [],
      problems: problems.length
        ? problems
        : [{ line: 1, code: 'CSV_HEADER_INVALID', message: 'the file is empty: expected a header line starting with deviceId' }],
    };
  const columns: Column[] = [];
  for (const name of head.fields) {
    const column =
      COLUMN_NAMES[
        name
          .trim()
          .toLowerCase()
          .replace(/[^a-z]/g, '')
      ];
    if (!column)
      problems.push({
        line: head.line,
        code: 'CSV_HEADER_INVALID',
        message: `unknown column "${name}"; known: deviceId, model, firmwareVersion, smiStatus, smetsVersion`,
      });
    else if (columns.includes(column)) problems.push({ line: head.line, code: 'CSV_HEADER_INVALID', message: `column ${column} appears twice` });
    columns.push(column ?? 'deviceId');
  }
  if (!columns.includes('deviceId')) problems.push({ line: head.line, code: 'CSV_HEADER_INVALID', message: 'the header has no deviceId column' });
  if (problems.some((p) => p.code === 'CSV_HEADER_INVALID')) return { inputs: [], problems };
  const inputs: Array<{ line: number; input: WorkOrderLineInput }> = [];
  for (const { line, fields } of rows) {
    if (fields.length !== columns.length) {
      problems.push({
        line,
        code: 'CSV_COLUMN_COUNT',
        message: `line ${line} has ${fields.length} fields; the header has ${columns.length}`,
        deviceId: fields[0],
      });
      continue;
    }
    const input: WorkOrderLineInput = { deviceId: '' };
    columns.forEach((column, i) => (input[column] = fields[i] ?? ''));
    inputs.push({ line, input });
  }
  return { inputs, problems };
}

/** Checks every line; returns the good lines and every problem (duplicates point at the first). */
export function validateLines(
  inputs: ReadonlyArray<{ line: number; input: WorkOrderLineInput }>,
  isKnownModel: (model: string) => boolean,
): { lines: WorkOrderLine[]; problems: LineProblem[] } {
  const lines: WorkOrderLine[] = [];
  const problems: LineProblem[] = [];
  const firstLine = new Map<string, number>();
  for (const { line, input } of inputs) {
    const problem = (code: ErrorCode, message: string): void =>
      void problems.push({ line, code, message: `line ${line}: ${message}`, deviceId: input.deviceId });
    const before = problems.length;
    let deviceId: DeviceId | undefined;
    try {
      deviceId = parseDeviceId(input.deviceId);
    } catch (err) {
      problem(isFlashdError(err) ? err.code : 'DEVICE_ID_INVALID', (err as Error).message);
    }
    const model = blank(input.model) ? null : input.model!.trim().toUpperCase();
    if (model !== null && !isKnownModel(model)) problem('MODEL_UNKNOWN', `Device Model "${input.model}" is not in the image catalogue`);
    let firmwareVersion: FirmwareVersion | null = null;
    if (!blank(input.firmwareVersion)) {
      try {
        firmwareVersion = parseFirmwareVersion(input.firmwareVersion!);
      } catch (err) {
        problem('FIRMWARE_VERSION_INVALID', (err as Error).message);
      }
    }
    const smiStatus = blank(input.smiStatus) ? 'Pending' : canonical(SMI_STATUSES, input.smiStatus!);
    if (!smiStatus) problem('SMI_STATUS_INVALID', `SMI status "${input.smiStatus}" is not one of ${SMI_STATUSES.join(', ')}`);
    const smetsVersion = blank(input.smetsVersion) ? 'SMETS2' : canonical(SMETS_VERSIONS, input.smetsVersion!);
    if (!smetsVersion) problem('SMETS_VERSION_INVALID', `SMETS version "${input.smetsVersion}" is neither SMETS1 nor SMETS2`);
    if (deviceId) {
      const first = firstLine.get(deviceId);
      if (first !== undefined) problem('WORK_ORDER_DUPLICATE_HUB', `${deviceId} is already listed on line ${first}`);
      else firstLine.set(deviceId, line);
    }
    if (problems.length === before) lines.push({ line, deviceId: deviceId!, model, firmwareVersion, smiStatus: smiStatus!, smetsVersion: smetsVersion! });
  }
  return { lines, problems };
}

/**
 * The hub lines of a new work order from a CSV file or a JSON `hubs` array, with every problem
 * found in one pass. The caller stores the order only when `problems` is empty.
 */
export function readWorkOrderLines(
  source: { csv: string } | { hubs: readonly WorkOrderLineInput[] },
  isKnownModel: (model: string) => boolean,
): { lines: WorkOrderLine[]; problems: LineProblem[] } {
  const read = 'csv' in source ? linesFromCsv(source.csv) : { inputs: source.hubs.map((input, i) => ({ line: i + 1, input })), problems: [] };
  const checked = validateLines(read.inputs, isKnownModel);
  const problems = [...read.problems, ...checked.problems];
  const count = read.inputs.length + problems.filter((p) => p.code === 'CSV_COLUMN_COUNT' || p.code === 'CSV_MALFORMED').length;
  if (count === 0 && problems.length === 0) problems.push({ line: 1, code: 'WORK_ORDER_EMPTY', message: 'the work order lists no hubs' });
  if (count > MAX_WORK_ORDER_HUBS)
    problems.push({ line: 1, code: 'WORK_ORDER_TOO_LARGE', message: `${count} hubs; at most ${MAX_WORK_ORDER_HUBS} in one work order` });
  problems.sort((a, b) => a.line - b.line);
  return { lines: checked.lines, problems };
}

function blank(value: string | null | undefined): boolean {
  return value === null || value === undefined || value.trim() === '';
}
