import { BAUD_IDLE_REVERT_MS } from '../src/session/baud-policy.js';

/** UART rates a simulated bootloader can run at (it accepts those up to its profile's maxBaudRate). */
export const HUB_BAUD_RATES: readonly number[] = [
  9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 4_000_000,
];

/**
 * A hub bootloader's UART rate (docs/protocol.md §2.8). It boots at the line's rate; SET_BAUD moves
 * it once the BAUD reply has left; a reboot or power loss puts it back; and above its boot rate,
 * 5 s without a valid frame while the hub has nothing in hand put it back too, so a host that lost
 * track finds the hub at the jig's rate. `switchLine` changes the simulated line (paced lines
 * carry bytes at the new rate); it is called with the reply still on its way, so it waits for that.
 */
export class HubUart {
  readonly bootBaudRate: number;
  readonly #switchLine: (baudRate: number) => Promise<void> | void;
  readonly #busy: () => boolean;
  #baudRate: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { bootBaudRate: number; switchLine: (baudRate: number) => Promise<void> | void; busy: () => boolean }) {
    this.bootBaudRate = options.bootBaudRate;
    this.#switchLine = options.switchLine;
    this.#busy = options.busy;
    this.#baudRate = options.bootBaudRate;
  }

  get baudRate(): number {
    return this.#baudRate;
  }

  /** Whether SET_BAUD(rate) is accepted by a hub that advertises `maxBaudRate`. */
  static offers(baudRate: number, maxBaudRate: number): boolean {
    return HUB_BAUD_RATES.includes(baudRate) && baudRate <= maxBaudRate;
  }

  /** After the BAUD reply: the UART (and the line) run at `baudRate` from when the reply has left. */
  switchTo(baudRate: number): void {
    this.#set(baudRate);
  }

  /** A valid frame arrived or a reply went out: the idle timer starts again. */
  heard(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Only above the boot rate (docs/protocol.md §2.8): a host that slowed the line below it for a
    // bad cable must not lose the hub to a revert after a quiet spell.
    if (this.#baudRate <= this.bootBaudRate) return;
    this.#timer = setTimeout(() => {
      if (this.#busy()) this.heard();
      else this.#set(this.bootBaudRate);
    }, BAUD_IDLE_REVERT_MS).unref();
  }

  /** Reboot or power loss: the UART starts again at its boot rate. */
  reset(): void {
    this.#set(this.bootBaudRate);
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #set(baudRate: number): void {
    if (baudRate === this.#baudRate) return;
    this.#baudRate = baudRate;
    void Promise.resolve(this.#switchLine(baudRate)).catch(() => undefined);
    this.heard();
  }
}
