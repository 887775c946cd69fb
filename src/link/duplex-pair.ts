import { Duplex } from 'node:stream';

/**
 * Two connected in-memory duplex streams: what one writes, the other reads. Node 20 lacks
 * `stream.duplexPair` (added in 22.6), so this is the in-process transport's wire. Like a TCP
 * socket (allowHalfOpen false), an end whose peer went away ends and closes too, so a driver
 * waiting for `close` learns that the line is gone.
 */
export function createDuplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peerIndex: number): Duplex =>
    new Duplex({
      allowHalfOpen: false,
      read() {},
      write(chunk: Buffer, _enc, callback) {
        const other = ends[peerIndex];
        if (other && !other.destroyed) other.push(chunk);
        callback();
      },
      final(callback) {
        ends[peerIndex]?.push(null);
        callback();
      },
      destroy(err, callback) {
        const other = ends[peerIndex];
        if (other && !other.destroyed) other.push(null);
        callback(err);
      },
    });
  ends.push(make(1), make(0));
  return [ends[0]!, ends[1]!];
}
