import type { FastifyPluginAsync } from 'fastify';
import type { BenchEventBus } from './bench-event-bus.js';
import { SseClient, type SseClientOptions } from './sse-client.js';

export interface EventRouteOptions {
  events: BenchEventBus;
  client?: Omit<SseClientOptions, 'onClose'>;
}

/**
 * `GET /api/v1/events`: the bench as Server-Sent Events (docs/api.md, "Events"). A client that
 * sends `Last-Event-ID` (the browser does on reconnect) gets the events it missed while they are
 * still kept; otherwise, or when the id is from an earlier run, it starts with a `snapshot`.
 */
export const eventRoutes: FastifyPluginAsync<EventRouteOptions> = async (app, { events, client: clientOptions }) => {
  const clients = new Set<SseClient>();
  app.addHook('preClose', async () => {
    for (const c of [...clients]) c.close();
  });
  app.get<{ Querystring: { lastEventId?: string } }>('/events', { config: { role: 'viewer' } }, async (request, reply) => {
    const header = request.headers['last-event-id'];
    const lastEventId = (Array.isArray(header) ? header[0] : header) ?? request.query.lastEventId;
    reply.hijack();
    const res = reply.raw;
    // The stream is the connection: when it ends (a dropped client), the socket closes with it.
    res.shouldKeepAlive = false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    let unsubscribe: (() => void) | undefined;
    const client: SseClient = new SseClient(res, {
      ...clientOptions,
      onClose: () => {
        unsubscribe?.();
        clients.delete(client);
      },
    });
    clients.add(client);
    res.write('retry: 2000\n\n');
    const missed = lastEventId ? events.log.since(lastEventId) : undefined;
    if (missed) for (const event of missed) client.send(event);
    else {
      const snapshot = events.snapshot();
      client.send({ id: snapshot.lastEventId, type: 'snapshot', data: snapshot });
    }
    // Nothing is published between the replay (or snapshot) and here: both run in this one turn.
    if (client.open) unsubscribe = events.subscribe((event) => client.send(event));
  });
};
