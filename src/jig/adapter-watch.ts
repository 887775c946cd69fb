import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { JigConfig } from '../config/schema.js';
import { listAdapters, listSerialPorts, type AdapterView, type ListedPort } from './adapters.js';
import type { HotplugSource } from './usb-hotplug.js';

export interface AdapterWatchEvents {
  /** The unknown adapters plugged in since start that are still there (empty: none). */
  unknown: [adapters: AdapterView[]];
}

export interface AdapterWatchOptions {
  jigs: readonly JigConfig[];
  log: Logger;
  list?: () => Promise<ListedPort[]>;
  /** USB hotplug: an attach re-lists at once (after `settleMs`, while udev makes the tty). Default: the `usb` package's; null: poll only. */
  hotplug?: HotplugSource | null;
  /** Re-list this often too, for adapters hotplug does not report (default 10 s). */
  pollMs?: number;
  settleMs?: number;
}

/**
 * Notices serial adapters that are not jig ports of the config. One present at start is logged
 * once (a bench may keep other serial devices); one plugged in while flashd runs is logged and
 * raised as the UNKNOWN_ADAPTER alarm until it is unplugged or configured (docs/operations.md).
 */
export class AdapterWatch extends EventEmitter<AdapterWatchEvents> {
  readonly #o: AdapterWatchOptions;
  readonly #list: () => Promise<ListedPort[]>;
  #hotplug: HotplugSource | null = null;
  #baseline: Set<string> | undefined;
  #alarmed = new Map<string, AdapterView>();
  #timer: NodeJS.Timeout | undefined;
  #settle: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: AdapterWatchOptions) {
    super();
    this.#o = options;
    this.#list = options.list ?? listSerialPorts;
  }

  /** Adapters that are unknown and were plugged in after start. */
  get unknown(): AdapterView[] {
    return [...this.#alarmed.values()];
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.check();
    const hotplug = this.#o.hotplug === undefined ? await usbHotplug(this.#o.log) : this.#o.hotplug;
    // stop() may come while the first listing runs: then nothing is left listening.
    if (this.#stopped) return;
    this.#hotplug = hotplug;
    this.#hotplug?.on('attach', this.#onAttach);
    this.#hotplug?.on('detach', this.#onAttach);
    this.#timer = setInterval(() => void this.check(), this.#o.pollMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#settle);
    this.#hotplug?.off('attach', this.#onAttach);
    this.#hotplug?.off('detach', this.#onAttach);
    this.#hotplug = null;
  }

  /** Lists the adapters once (one listing at a time) and updates the unknown set. */
  check(): Promise<void> {
    this.#running ??= this.#check().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #check(): Promise<void> {
    let adapters: AdapterView[];
    try {
      adapters = await listAdapters(this.#o.jigs, this.#list);
    } catch (err) {
      if (this.#baseline === undefined) this.#o.log.warn({ err }, 'cannot list serial adapters: unknown adapters are not reported');
      this.#baseline ??= new Set();
      return;
    }
    if (this.#stopped) return;
    const unknown = adapters.filter((a) => a.status === 'unknown');
    const key = (a: AdapterView): string => `${a.path} ${a.serialNumber ?? ''}`;
    if (this.#baseline === undefined) {
      this.#baseline = new Set(unknown.map(key));
      if (unknown.length > 0) this.#o.log.info({ adapters: unknown.map(describeAdapter) }, 'serial adapters present that are no jig port of the config');
      return;
    }
    const now = new Map(unknown.filter((a) => !this.#baseline!.has(key(a))).map((a) => [key(a), a]));
    for (const [k, a] of now) {
      if (!this.#alarmed.has(k))
        this.#o.log.warn({ adapter: describeAdapter(a) }, 'unknown serial adapter plugged in: flashctl adapters lists it, the config names jig ports');
    }
    // One that left stops being baseline too: plugged in again, it is news.
    const present = new Set(unknown.map(key));
    for (const k of this.#baseline) if (!present.has(k)) this.#baseline.delete(k);
    const changed = now.size !== this.#alarmed.size || [...now.keys()].some((k) => !this.#alarmed.has(k));
    this.#alarmed = now;
    if (changed) this.emit('unknown', this.unknown);
  }

  readonly #onAttach = (): void => {
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => void this.check(), this.#o.settleMs ?? 1000);
    this.#settle.unref();
  };
}

/** One line for the log and the alarm: path, by-id name, USB ids and serial number. */
export function describeAdapter(a: AdapterView): string {
  const usb = a.vendorId ? ` USB ${a.vendorId}:${a.productId ?? '?'}` : '';
  const serial = a.serialNumber ? ` serial ${a.serialNumber}` : '';
  return `${a.path}${usb}${serial}`;
}

async function usbHotplug(log: Logger): Promise<HotplugSource | null> {
  try {
    return (await import('usb')).usb;
  } catch (err) {
    log.warn({ err }, 'USB hotplug unavailable: new serial adapters are noticed by polling');
    return null;
  }
}
