import { readFile } from 'node:fs/promises';
import type { TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { FlashdError } from '../src/domain/errors.js';
import { FAULT_KINDS, FAULT_SCHEMAS, ScenarioHeadSchema, type Fault, type Scenario } from './scenario.js';

/**
 * Checks a parsed scenario. Every problem is reported at once, each with its JSON path
 * (`/faults/2/ratePerBit: must be <= 1, got 3`), as SCENARIO_INVALID naming the source.
 */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(source, ['/: a scenario must be a JSON object']);
  }
  problems.push(...check(ScenarioHeadSchema, raw, ''));
  const faults = (raw as { faults?: unknown }).faults;
  const parsed: Fault[] = [];
  if (Array.isArray(faults)) {
    faults.forEach((fault, i) => {
      const found = checkFault(fault, `/faults/${i}`);
      if (Array.isArray(found)) problems.push(...found);
      else parsed.push(found);
    });
  }
  if (problems.length > 0) throw invalid(source, problems);
  return { ...(raw as Omit<Scenario, 'faults'>), faults: parsed };
}

/** Checks one fault (a scenario entry, or a fault injected through the control API). */
export function checkFault(fault: unknown, path: string): Fault | string[] {
  if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) return [`${path}: a fault must be an object with a "kind"`];
  const kind = (fault as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(FAULT_KINDS as string[]).includes(kind)) {
    return [`${path}/kind: must be one of ${FAULT_KINDS.map((k) => JSON.stringify(k)).join(', ')}, got ${JSON.stringify(kind)}`];
  }
  const problems = check(FAULT_SCHEMAS[kind as keyof typeof FAULT_SCHEMAS], fault, path);
  const f = fault as Fault;
  const when = f.when;
  if (when && 'phase' in when && when.phase !== 'TRANSFER' && (when.offset !== undefined || when.percent !== undefined)) {
    problems.push(`${path}/when: offset and percent apply to the TRANSFER phase only, not ${when.phase}`);
  }
  if (when && 'phase' in when && when.offset !== undefined && when.percent !== undefined) problems.push(`${path}/when: give offset or percent, not both`);
  if ((f.kind === 'control-disconnect' || f.kind === 'jig-reboot') && (!f.target || !('jig' in f.target) || 'slot' in f.target)) {
    problems.push(`${path}/target: ${f.kind} needs { "jig": n } (a jig's control port)`);
  }
  if ('line' in f && f.line === 'control' && (!f.target || !('jig' in f.target) || 'slot' in f.target)) {
    problems.push(`${path}/target: noise on a control line needs { "jig": n }`);
  }
  if (f.kind === 'garbage' && f.lengthBytes && f.lengthBytes[0] > f.lengthBytes[1]) problems.push(`${path}/lengthBytes: [min, max] with min <= max`);
  return problems.length > 0 ? problems : f;
}

/** Reads and checks a scenario file. */
export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new FlashdError('SCENARIO_INVALID', `cannot read scenario ${file}: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FlashdError('SCENARIO_INVALID', `scenario ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseScenario(raw, file);
}

function check(schema: TSchema, value: unknown, prefix: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const error of Value.Errors(schema, value)) {
    const text = describe(error, prefix);
    if (!seen.has(error.path)) out.push(text);
    seen.add(error.path);
  }
  return out;
}

function describe(error: ValueError, prefix: string): string {
  const path = `${prefix}${error.path}` || '/';
  if (error.message === 'Unexpected property') return `${path}: unknown key`;
  const allowed = (error.schema.anyOf as Array<{ const?: unknown }> | undefined)?.map((b) => b.const);
  if (allowed?.length && allowed.every((v) => v !== undefined))
    return `${path}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(error.value)}`;
  if (error.schema.anyOf && path.endsWith('/target')) return `${path}: must be { "jig": n, "slot": n }, { "jig": n } or { "deviceId": "00-DB-..." }`;
  if (error.schema.anyOf && path.endsWith('/when'))
    return `${path}: must be { "afterMs": n } or { "phase": "IDENTIFY|UNLOCK|TRANSFER|VERIFY|ACTIVATE", "attempt"?, "offset"?, "percent"? }`;
  const got = error.value === undefined ? 'nothing' : JSON.stringify(error.value);
  return `${path}: ${error.message.toLowerCase()}, got ${got.length > 60 ? `${got.slice(0, 57)}...` : got}`;
}

function invalid(source: string, problems: string[]): FlashdError {
  return new FlashdError('SCENARIO_INVALID', `${source} is not a valid scenario:\n  ${problems.join('\n  ')}`, { details: { problems } });
}
