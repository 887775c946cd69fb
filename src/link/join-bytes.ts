/**
 * Copies `parts` back to back into `into`, sized by the caller: a fresh ArrayBuffer that a
 * MessagePort can transfer (Buffer.concat may return a slice of Node's shared pool), or shared memory.
 */
export function joinBytes<T extends Uint8Array>(parts: readonly Uint8Array[], into: T): T {
  let at = 0;
  for (const part of parts) {
    into.set(part, at);
    at += part.length;
  }
  return into;
}
