/**
 * Failed authentications per client address in a sliding minute: past the limit a client's
 * credentials are not even checked (429 AUTH_RATE_LIMITED), so a token cannot be guessed at speed.
 */
export class FailureLimiter {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #failures = new Map<string, number[]>();

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  #recent(client: string): number[] {
    const since = this.#now() - 60_000;
    const list = (this.#failures.get(client) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#failures.delete(client);
    else this.#failures.set(client, list);
    return list;
  }

  limited(client: string): boolean {
    return this.#recent(client).length >= this.#perMinute;
  }

  fail(client: string): void {
    const list = this.#recent(client);
    list.push(this.#now());
    this.#failures.set(client, list);
    // Bound the memory a spray from many addresses can take.
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value!);
  }
}
