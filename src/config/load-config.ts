import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { FlashdError } from '../domain/errors.js';
import { ConfigSchema, type Config } from './schema.js';
import { PACKAGE_ROOT } from './package-root.js';
import { unknownManufacturerProblems } from './manufacturers.js';
import { applySimulatorDefaults } from './simulator-defaults.js';
import { suggestKey } from './suggest-key.js';
import { upstreamProblems } from './upstream-schema.js';
import { apiExposureProblems } from './api-access-schema.js';
import { jigReconnectProblems } from './reconnect-schema.js';

/** The validated, frozen configuration plus where relative paths resolve from. */
export interface LoadedConfig {
  config: Readonly<Config>;
  /** File the config came from, or undefined for the embedded defaults. */
  source: string | undefined;
  /** Manufacturer master keys, read from inline hex or from their files. */
  unlockKeys: ReadonlyMap<string, Uint8Array>;
}

export interface LoadConfigOptions {
  /** Path of a JSON config file; without one the embedded defaults (built-in simulator) apply. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads, defaults, validates and freezes the configuration. Every problem is reported at once,
 * each with its JSON path, and an unknown key gets a "did you mean" from the schema.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  let raw: unknown = {};
  if (options.file) {
    let text: string;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (err) {
      throw new FlashdError('CONFIG_UNREADABLE', `cannot read config file ${options.file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      raw = JSON.parse(blankCommentLines(text));
    } catch (err) {
      throw new FlashdError('CONFIG_UNREADABLE', `config file ${options.file} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  const source = options.file ?? 'embedded defaults';
  const config = validateConfig(raw, source);
  const defaultProblems = applySimulatorDefaults(config);
  if (defaultProblems.length > 0) {
    throw new FlashdError('CONFIG_INVALID', `${source} is invalid:\n  ${defaultProblems.join('\n  ')}`, { details: { problems: defaultProblems } });
  }
  if (env.FLASHD_PORT !== undefined) config.api.port = parsePort(env.FLASHD_PORT);
  // A path the file gives is relative to the file; a default one is relative to flashd itself,
  // so a config that only sets the port still finds the shipped images.
  const fileDir = options.file ? dirname(resolve(options.file)) : PACKAGE_ROOT;
  const given = raw as { store?: { path?: unknown }; images?: { dir?: unknown; trustedKeyFiles?: unknown } };
  const abs = (p: string, fromFile: boolean): string => (isAbsolute(p) ? p : resolve(fromFile ? fileDir : PACKAGE_ROOT, p));
  if (config.store.path !== ':memory:') config.store.path = abs(config.store.path, given.store?.path !== undefined);
  config.images.dir = abs(config.images.dir, given.images?.dir !== undefined);
  config.images.trustedKeyFiles = config.images.trustedKeyFiles.map((p) => abs(p, given.images?.trustedKeyFiles !== undefined));
  // The schema has no default scenario: one that is given is always relative to the file.
  if (config.simulator.scenario) config.simulator.scenario = abs(config.simulator.scenario, true);
  const api = config.api as { tokensFile?: string; operatorPinsFile?: string; tls?: { keyFile: string; certFile: string } };
  if (api.tokensFile) api.tokensFile = abs(api.tokensFile, true);
  if (api.operatorPinsFile) api.operatorPinsFile = abs(api.operatorPinsFile, true);
  if (api.tls) api.tls = { keyFile: abs(api.tls.keyFile, true), certFile: abs(api.tls.certFile, true) };
  const unlockKeys = await readUnlockKeys(config, (p) => abs(p, true));
  return { config: deepFreeze(config), source: options.file, unlockKeys };
}

/** Validates a parsed config object; returns it with defaults applied, or throws CONFIG_INVALID. */
export function validateConfig(raw: unknown, source: string): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FlashdError('CONFIG_INVALID', `${source}: the configuration must be a JSON object`, { details: { problems: ['/: must be an object'] } });
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(raw));
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map(describe);
  const value = withDefaults as Config;
  if (problems.length === 0 && value.simulator.enabled && value.jigs.length > 0) {
    problems.push('/simulator/enabled: is true while /jigs lists real jigs; set simulator.enabled to false to use them');
  }
  if (problems.length === 0)
    problems.push(...upstreamProblems(value.upstream), ...unknownManufacturerProblems(value.unlock.keys), ...jigReconnectProblems(value.jigReconnect));
  if (problems.length === 0) problems.push(...apiExposureProblems(value.api));
  if (problems.length === 0) {
    const ids = new Set<string>();
    value.jigs.forEach((jig, i) => {
      if (ids.has(jig.id)) problems.push(`/jigs/${i}/id: "${jig.id}" is used by another jig`);
      ids.add(jig.id);
    });
  }
  if (problems.length === 0 && value.guards.slot.minFaults > value.guards.slot.windowSessions) {
    problems.push(
      `/guards/slot/minFaults: ${value.guards.slot.minFaults} can never be reached in a window of ${value.guards.slot.windowSessions} sessions (guards.slot.windowSessions)`,
    );
  }
  if (problems.length > 0) {
    const unique = [...new Set(problems)];
    throw new FlashdError('CONFIG_INVALID', `${source} is invalid:\n  ${unique.join('\n  ')}`, { details: { problems: unique } });
  }
  return value;
}

function describe(error: ValueError): string {
  const path = error.path === '' ? '/' : error.path;
  if (error.message === 'Unexpected property') {
    const parts = error.path.split('/');
    const key = parts.pop() ?? '';
    const suggestion = suggestKey(key, parts.join('/'));
    return `${path}: unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
  }
  const allowed = (error.schema.anyOf as Array<{ const?: unknown }> | undefined)?.map((branch) => branch.const);
  if (allowed?.length && allowed.every((v) => v !== undefined)) {
    return `${path}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(error.value)}`;
  }
  if (error.path.startsWith('/unlock/keys/')) return `${path}: must be a hex key (32..128 digits) or { "file": "<path>" }`;
  // Never echo a secret back: the message goes to stderr and the journal.
  if (error.path.startsWith('/upstream/n3/token')) return `/upstream/n3/token: must be a token (8..4096 visible characters) or { "file": "<path>" }`;
  const got = error.value === undefined ? 'nothing' : JSON.stringify(error.value);
  return `${path}: ${error.message.toLowerCase()}, got ${got && got.length > 60 ? `${got.slice(0, 57)}...` : got}`;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new FlashdError('CONFIG_INVALID', `FLASHD_PORT must be a port number 0..65535, got "${text}"`, { details: { problems: [`FLASHD_PORT: "${text}"`] } });
  }
  return port;
}

async function readUnlockKeys(config: Config, abs: (p: string) => string): Promise<Map<string, Uint8Array>> {
  const keys = new Map<string, Uint8Array>();
  for (const [manufacturer, secret] of Object.entries(config.unlock.keys)) {
    if (typeof secret === 'string') {
      keys.set(manufacturer, Buffer.from(secret, 'hex'));
      continue;
    }
    let text: string;
    try {
      text = (await readFile(abs(secret.file), 'utf8')).trim();
    } catch (err) {
      throw new FlashdError('CONFIG_UNREADABLE', `/unlock/keys/${manufacturer}: cannot read key file ${secret.file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!/^[0-9a-fA-F]{32,128}$/.test(text)) {
      throw new FlashdError('CONFIG_INVALID', `/unlock/keys/${manufacturer}: key file ${secret.file} does not hold 32..128 hex digits`, {
        details: { problems: [`/unlock/keys/${manufacturer}: bad key file`] },
      });
    }
    keys.set(manufacturer, Buffer.from(text, 'hex'));
  }
  return keys;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * JSON with whole-line `//` comments (the packaged /etc/flashd/flashd.json explains itself): each
 * comment line becomes an empty line, so JSON.parse's positions still point at the right line.
 * A `//` after a value on the same line is not a comment and stays a JSON error.
 */
export function blankCommentLines(text: string): string {
  return text.replace(/^[ \t]*\/\/.*$/gm, '');
}
