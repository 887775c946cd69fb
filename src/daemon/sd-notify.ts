import { createRequire } from 'node:module';

/** The part of the `unix-dgram` socket flashd uses (the package ships no types). */
interface UnixDgramSocket {
  on(event: 'error', listener: (err: Error) => void): unknown;
  send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
  close(): void;
}

/** Where a notification goes: the real socket, or a test's recorder. */
export type NotifySink = (message: string) => void;

/**
 * The service manager's notification socket (sd_notify(3)): `READY=1`, `STATUS=…`, `WATCHDOG=1`,
 * `STOPPING=1` as datagrams to the unix socket named by `NOTIFY_SOCKET`.
 *
 * Node's `dgram` has no AF_UNIX sockets, so the datagram goes through the native `unix-dgram`
 * addon, built for the target with the other native modules (docs/operations.md, "systemd
 * supervision", says why this and not `systemd-notify` or libsystemd bindings). The message comes
 * from flashd's own main PID, so the unit keeps `NotifyAccess=main`.
 *
 * Returns undefined when `NOTIFY_SOCKET` is unset (not run by systemd, or not Type=notify). An
 * abstract socket (`@…`) cannot be reached through `unix-dgram` and is refused by name.
 */
export function openNotifySocket(
  env: NodeJS.ProcessEnv = process.env,
  onError: (err: Error) => void = () => undefined,
): { sink: NotifySink; close: () => void } | undefined {
  const path = env.NOTIFY_SOCKET;
  if (path === undefined || path === '') return undefined;
  if (!path.startsWith('/')) throw new RangeError(`NOTIFY_SOCKET=${path}: only a socket path is supported, not an abstract or vsock address`);
  const require = createRequire(import.meta.url);
  const unix = require('unix-dgram') as { createSocket(type: 'unix_dgram'): UnixDgramSocket };
  const socket = unix.createSocket('unix_dgram');
  socket.on('error', onError);
  return {
    sink: (message) => {
      const buf = Buffer.from(message);
      socket.send(buf, 0, buf.length, path, (err) => err && onError(err));
    },
    close: () => socket.close(),
  };
}

/** `WATCHDOG_USEC` as milliseconds when it is meant for this process (`WATCHDOG_PID` unset or ours). */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return usec / 1000;
}
