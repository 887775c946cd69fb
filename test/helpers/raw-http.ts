import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends `request` exactly as given (request line, headers, body: nothing is checked or fixed) to
 * 127.0.0.1:`port` and reads the whole answer until the server closes (send `Connection: close`). Resolves undefined when the
 * server closed without a status line. Node's own HTTP parser sees the bytes as a client sent them.
 */
export function rawRequest(port: number, request: Buffer, timeoutMs = 10_000): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may answer and close before it has read a large body: a reset then is not a failure.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      clearTimeout(quiet);
      let all = Buffer.concat(chunks);
      // Interim answers (100 Continue) come before the real one.
      while (/^HTTP\/1\.[01] 1\d\d /.test(all.subarray(0, 16).toString('latin1')) && all.indexOf('\r\n\r\n') !== -1)
        all = all.subarray(all.indexOf('\r\n\r\n') + 4);
      const split = all.indexOf('\r\n\r\n');
      const head = (split === -1 ? all : all.subarray(0, split)).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!status) return resolve(undefined);
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rawBody = split === -1 ? Buffer.alloc(0) : all.subarray(split + 4);
      // Only the first answer: bytes past its Content-Length belong to a later one.
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      const body = headers['transfer-encoding']?.includes('chunked') ? dechunk(rawBody) : rawBody.subarray(0, length);
      resolve({ status: Number(status[1]), headers, body: body.toString('utf8') });
    });
    // Half-close only once the server has been quiet for a while: Node's HTTP server drops a request
    // whose client sent FIN before an async handler answered (a backup, any slow route), while a
    // request that declares more body than it sends is only answered once the client's FIN comes.
    // Requests carry `Connection: close`, so the server closes once it has answered.
    const quiet = setTimeout(() => socket.end(), Math.min(3000, timeoutMs / 2));
    // An interim answer (100 Continue) is not the answer: the server still waits for the body.
    socket.on('data', () => {
      if (/^HTTP\/1\.[01] [2-5]\d\d /m.test(Buffer.concat(chunks).toString('latin1'))) clearTimeout(quiet);
    });
    socket.write(request);
  });
}

export interface RegisteredRoute {
  method: string;
  /** As registered, with `:param` and `*` placeholders. */
  url: string;
}

/**
 * Every route of a ready Fastify app, read from `printRoutes({ commonPrefix: false })`: a route
 * added tomorrow is listed without anyone editing a test.
 */
export function registeredRoutes(tree: string): RegisteredRoute[] {
  const stack: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│├└─ ]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = Math.max(depth - 1, 0);
    const url = (stack[stack.length - 1] ?? '') + m[2]!;
    stack.push(url);
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) if (method) routes.push({ method, url });
  }
  return routes;
}
