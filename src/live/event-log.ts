import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

/** One event as the stream carries it: `id` is `<bootId>.<seq>`, so ids from an earlier run never match. */
export interface StampedEvent {
  id: string;
  seq: number;
  type: string;
  data: unknown;
  /** `data` as JSON, made once for every client that receives it. */
  json: string;
}

/** An event as the ring keeps it for resuming clients: its JSON only. */
export type KeptEvent = Omit<StampedEvent, 'data'>;

export interface EventLogOptions {
  /** Events kept for a reconnecting client's `Last-Event-ID`. Default 4096. */
  capacity?: number;
  /** Names this run of the daemon in every id. Default: random. */
  bootId?: string;
}

/**
 * The bench's events in order, numbered, with the newest `capacity` kept in a ring so a client that
 * reconnects with `Last-Event-ID` gets what it missed; anything older, or from another run, is
 * answered with a fresh snapshot instead (see {@link EventLog.since}). The ring keeps each event's
 * JSON, not its objects: 4,096 slot tiles and results held for minutes would otherwise all outlive
 * the young generation and be traced by every full GC of the main thread (issue 14, item 4).
 */
export class EventLog extends EventEmitter<{ event: [event: StampedEvent] }> {
  readonly bootId: string;
  readonly #capacity: number;
  readonly #ring: KeptEvent[] = [];
  #seq = 0;

  constructor(options: EventLogOptions = {}) {
    super();
    const capacity = options.capacity ?? 4096;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
    this.bootId = options.bootId ?? randomUUID().slice(0, 8);
    this.setMaxListeners(0); // one listener per connected browser
  }

  /** The id of the newest event (`<bootId>.0` before the first): a snapshot taken now is as of this id. */
  get lastId(): string {
    return `${this.bootId}.${this.#seq}`;
  }

  publish(type: string, data: unknown): StampedEvent {
    const seq = ++this.#seq;
    const id = `${this.bootId}.${seq}`;
    const json = JSON.stringify(data);
    this.#ring.push({ id, seq, type, json });
    if (this.#ring.length > this.#capacity) this.#ring.shift();
    const event: StampedEvent = { id, seq, type, data, json };
    this.emit('event', event);
    return event;
  }

  /**
   * The events after `lastEventId`, oldest first; `undefined` when the id is not one of this run's,
   * or the events after it are no longer all kept: the client then needs a snapshot.
   */
  since(lastEventId: string): KeptEvent[] | undefined {
    const match = /^([^.]+)\.(\d+)$/.exec(lastEventId.trim());
    if (!match || match[1] !== this.bootId) return undefined;
    const seq = Number(match[2]);
    if (seq > this.#seq) return undefined;
    if (seq === this.#seq) return [];
    const oldest = this.#ring[0]?.seq ?? this.#seq + 1;
    if (seq + 1 < oldest) return undefined;
    return this.#ring.slice(seq + 1 - oldest);
  }
}
