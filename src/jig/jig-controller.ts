import { EventEmitter } from 'node:events';
import { ReadlineParser } from '@serialport/parser-readline';
import type { Logger } from 'pino';
import { abortError, onAbort } from '../domain/abort.js';
import { FlashdError } from '../domain/errors.js';
import type { Link } from '../link/open-link.js';
import { JIG_ERRORS, formatCommand, parseJigLine, type Fields, type JigCommandName, type LedColour } from './control-protocol.js';

export interface JigControllerEvents {
  /** `insertions`: the slot's insertion count (mod 16) the jig sent with the event, when it did. */
  present: [slot: number, insertions: number | undefined];
  removed: [slot: number];
  button: [slot: number];
  'power-fault': [slot: number];
  /** The jig (re)booted; slot state must be read again. */
  ready: [];
  /** The control link closed. */
  disconnected: [reason: string];
}

export interface JigInfo {
  id: string;
  slots: number;
  firmware: string;
  serial: string;
}

export interface SlotStatus {
  slot: number;
  present: boolean;
  powered: boolean;
  /** Hubs seated in the slot since the jig started, modulo 16; undefined from a jig that does not count (protocol 1). */
  insertions: number | undefined;
}

/**
 * Commands whose repetition leaves the jig as one execution would: a lost command or a lost reply
 * (line noise) is healed by sending it again under a new sequence id.
 */
const IDEMPOTENT: ReadonlySet<JigCommandName> = new Set(['INFO', 'STATUS', 'POWER', 'LED', 'PING']);

/** Default number of times an idempotent command is re-sent after a timeout. */
export const DEFAULT_COMMAND_RETRIES = 3;

/** Every request takes a signal: an abort ends the wait at once with `ABORTED`. */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

interface Pending {
  resolve: (fields: Fields) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Driver for one jig's control port: sends commands, matches replies by sequence id, times out,
 * and turns unsolicited lines into typed events. One instance per jig, on the main thread.
 */
export class JigController extends EventEmitter<JigControllerEvents> {
  readonly jigId: string;
  readonly #link: Link;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #retries: number;
  /** Per slot, how many LED commands were issued: a retry of an older one is never sent. */
  readonly #ledGeneration = new Map<number, number>();
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  #closed = false;

  /** `retries`: re-sends of an idempotent command after a reply timeout; default {@link DEFAULT_COMMAND_RETRIES}. */
  constructor(options: { jigId: string; link: Link; log: Logger; timeoutMs: number; retries?: number }) {
    super();
    this.jigId = options.jigId;
    this.#link = options.link;
    this.#log = options.log;
    this.#timeoutMs = options.timeoutMs;
    this.#retries = options.retries ?? DEFAULT_COMMAND_RETRIES;
    const parser = options.link.stream.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'ascii' }));
    parser.on('data', (line: string) => this.#onLine(line));
    options.link.stream.on('close', () => this.#onClose('control link closed'));
    options.link.stream.on('error', (err) => this.#log.warn({ err }, 'control link error'));
  }

  async info(options: RequestOptions = {}): Promise<JigInfo> {
    const f = await this.request('INFO', [], options);
    return { id: f.id ?? this.jigId, slots: Number(f.slots ?? 8), firmware: f.fw ?? '', serial: f.serial ?? '' };
  }

  async status(options: RequestOptions = {}): Promise<SlotStatus[]> {
    const f = await this.request('STATUS', [], options);
    const present = f.present ?? '';
    const power = f.power ?? '';
    if (!/^[01]+$/.test(present) || power.length !== present.length)
      throw new FlashdError('JIG_PROTOCOL', `STATUS reply without present/power bit strings: ${JSON.stringify(f)}`);
    const ins = f.ins;
    if (ins !== undefined && (!/^[0-9a-f]+$/.test(ins) || ins.length !== present.length))
      throw new FlashdError('JIG_PROTOCOL', `STATUS reply with a bad ins string: ${JSON.stringify(f)}`);
    return [...present].map((bit, i) => ({
      slot: i + 1,
      present: bit === '1',
      powered: power[i] === '1',
      insertions: ins === undefined ? undefined : parseInt(ins[i]!, 16),
    }));
  }

  async setLed(slot: number, colour: LedColour, blink = false, options: RequestOptions = {}): Promise<void> {
    const generation = (this.#ledGeneration.get(slot) ?? 0) + 1;
    this.#ledGeneration.set(slot, generation);
    await this.request('LED', [String(slot), colour, ...(blink ? ['BLINK'] : [])], {
      ...options,
      superseded: () => this.#ledGeneration.get(slot) !== generation,
    });
  }

  async setPower(slot: number, on: boolean, options: RequestOptions = {}): Promise<void> {
    await this.request('POWER', [String(slot), on ? 'ON' : 'OFF'], options);
  }

  /**
   * Sends a command and waits for its reply. An idempotent command that times out (the command or
   * its reply lost to line noise) is sent again, up to `retries` times; an ERR reply is final.
   */
  async request(name: JigCommandName, args: string[] = [], options: RequestOptions & { superseded?: () => boolean } = {}): Promise<Fields> {
    const { signal, superseded } = options;
    const tries = IDEMPOTENT.has(name) ? this.#retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#send(name, args, signal);
      } catch (err) {
        if (attempt >= tries || !transient(err) || this.#closed || signal?.aborted) throw err;
        // A newer command for the same thing went out meanwhile: sent again, this one would land
        // after it (the line is ordered) and undo it, e.g. a slot left blinking blue when done.
        if (superseded?.()) return {};
        this.#log.warn({ command: name, attempt }, 'jig command unanswered; sending it again');
      }
    }
  }

  /** One send; the reply timer starts once the line has been written to the link. */
  #send(name: JigCommandName, args: string[], signal: AbortSignal | undefined): Promise<Fields> {
    if (this.#closed) return Promise.reject(new FlashdError('LINK_CLOSED', `jig ${this.jigId} control link is closed`));
    if (signal?.aborted) return Promise.reject(abortError(signal, `jig ${this.jigId} ${name}`));
    this.#seq = (this.#seq % 9999) + 1;
    const seq = this.#seq;
    const line = formatCommand({ seq, name, args });
    const reply = new Promise<Fields>((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      this.#pending.set(seq, pending);
      this.#link.stream.write(line, 'ascii', (err) => {
        if (err) {
          this.#settle(seq)?.reject(new FlashdError('LINK_CLOSED', `cannot write to jig ${this.jigId}: ${err.message}`, { cause: err }));
          return;
        }
        if (!this.#pending.has(seq)) return;
        pending.timer = setTimeout(
          () => this.#settle(seq)?.reject(new FlashdError('JIG_TIMEOUT', `jig ${this.jigId} did not answer ${name} within ${this.#timeoutMs} ms`)),
          this.#timeoutMs,
        );
      });
    });
    // An abort settles the request now; a reply arriving later finds no one waiting and is dropped.
    const forget = onAbort(signal, () => this.#settle(seq)?.reject(abortError(signal!, `jig ${this.jigId} ${name}`)));
    return reply.finally(forget);
  }

  async close(): Promise<void> {
    this.#onClose('closed by flashd');
    await this.#link.close();
  }

  #settle(seq: number): Pending | undefined {
    const pending = this.#pending.get(seq);
    if (!pending) return undefined;
    this.#pending.delete(seq);
    clearTimeout(pending.timer);
    return pending;
  }

  #onLine(raw: string): void {
    const text = raw.trim();
    if (text === '') return;
    let line;
    try {
      line = parseJigLine(text);
    } catch (err) {
      this.#log.warn({ err, line: text.slice(0, 80) }, 'ignored malformed jig line');
      return;
    }
    if (line.kind === 'ok') {
      this.#settle(line.seq)?.resolve(line.fields);
      return;
    }
    if (line.kind === 'error') {
      this.#settle(line.seq)?.reject(
        new FlashdError('JIG_ERROR', `jig ${this.jigId} answered ERR ${line.code}: ${line.text}`, { details: { jigError: line.code } }),
      );
      return;
    }
    const slot = Number(line.fields.slot);
    switch (line.name) {
      case 'READY':
        this.emit('ready');
        return;
      case 'PRESENT':
        if (slot > 0) this.emit('present', slot, /^[0-9a-f]$/.test(line.fields.ins ?? '') ? parseInt(line.fields.ins!, 16) : undefined);
        return;
      case 'REMOVED':
        if (slot > 0) this.emit('removed', slot);
        return;
      case 'BUTTON':
        if (slot > 0) this.emit('button', slot);
        return;
      case 'POWERFAULT':
        if (slot > 0) this.emit('power-fault', slot);
        return;
      default:
        this.#log.warn({ event: line.name }, 'ignored unknown jig event');
    }
  }

  #onClose(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const seq of [...this.#pending.keys()]) this.#settle(seq)?.reject(new FlashdError('LINK_CLOSED', `jig ${this.jigId}: ${reason}`));
    this.emit('disconnected', reason);
  }
}

/**
 * Worth sending again: no answer (command or reply lost), or the jig could not read the command
 * (001/002: a command mangled by line noise reads as an unknown name or a bad argument).
 */
function transient(err: unknown): boolean {
  if (!(err instanceof FlashdError)) return false;
  if (err.code === 'JIG_TIMEOUT') return true;
  const jigError = err.details?.jigError;
  return err.code === 'JIG_ERROR' && (jigError === JIG_ERRORS.UNKNOWN_COMMAND || jigError === JIG_ERRORS.BAD_ARGUMENT);
}
