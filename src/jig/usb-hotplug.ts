import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

/** Which USB adapter carries a jig's control port (FTDI, CP210x… as udev sees it). */
export interface UsbMatch {
  vendorId: number;
  productId: number;
}

interface UsbDeviceLike {
  deviceDescriptor: { idVendor: number; idProduct: number };
}

/** The part of the `usb` package's hotplug emitter flashd uses; tests pass a fake. */
export interface HotplugSource {
  on(event: 'attach' | 'detach', listener: (device: UsbDeviceLike) => void): unknown;
  off(event: 'attach' | 'detach', listener: (device: UsbDeviceLike) => void): unknown;
}

export interface UsbHotplugEvents {
  attach: [jigId: string];
  detach: [jigId: string];
}

/**
 * Watches USB hotplug for the adapters of configured jigs, so a jig plugged back in is reconnected
 * at once instead of at the next backoff step. Loads the native `usb` binding only when some jig
 * names its adapter, and only on the main thread.
 */
export class UsbHotplug extends EventEmitter<UsbHotplugEvents> {
  readonly #jigs: ReadonlyArray<{ id: string; usb?: UsbMatch | undefined }>;
  readonly #log: Logger;
  #source: HotplugSource | undefined;

  constructor(options: { jigs: ReadonlyArray<{ id: string; usb?: UsbMatch | undefined }>; log: Logger; source?: HotplugSource }) {
    super();
    this.#jigs = options.jigs;
    this.#log = options.log;
    this.#source = options.source;
  }

  get watching(): boolean {
    return this.#source !== undefined && this.#jigs.some((j) => j.usb);
  }

  async start(): Promise<void> {
    if (!this.#jigs.some((j) => j.usb)) return;
    if (!this.#source) {
      try {
        this.#source = (await import('usb')).usb;
      } catch (err) {
        this.#log.warn({ err }, 'USB hotplug unavailable; jigs reconnect on their backoff');
        return;
      }
    }
    this.#source.on('attach', this.#onAttach);
    this.#source.on('detach', this.#onDetach);
  }

  stop(): void {
    this.#source?.off('attach', this.#onAttach);
    this.#source?.off('detach', this.#onDetach);
  }

  #matching(device: UsbDeviceLike): string[] {
    const { idVendor, idProduct } = device.deviceDescriptor;
    return this.#jigs.filter((j) => j.usb && j.usb.vendorId === idVendor && j.usb.productId === idProduct).map((j) => j.id);
  }

  readonly #onAttach = (device: UsbDeviceLike): void => {
    for (const id of this.#matching(device)) this.emit('attach', id);
  };

  readonly #onDetach = (device: UsbDeviceLike): void => {
    for (const id of this.#matching(device)) this.emit('detach', id);
  };
}
