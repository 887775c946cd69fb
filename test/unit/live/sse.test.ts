import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlotSessionEnd } from '../../../src/bench/slot-session.js';
import { emptySlot, type SlotView } from '../../../src/bench/slot-view.js';
import { BenchEventBus } from '../../../src/live/bench-event-bus.js';
import { eventRoutes } from '../../../src/live/sse-route.js';

class FakeBench extends EventEmitter<{ slot: [SlotView]; finished: [SlotSessionEnd]; jig: [string, boolean, string | null] }> {
  operatorId = 'op-1';
  views = Array.from({ length: 8 }, (_, i) => emptySlot('JIG-1', i + 1));
  slots(): SlotView[] {
    return this.views;
  }
  jigs(): Array<{ id: string; connected: boolean }> {
    return [{ id: 'JIG-1', connected: true }];
  }
  set(view: SlotView): void {
    this.views[view.slot - 1] = view;
    this.emit('slot', view);
  }
}

interface Frame {
  id?: string;
  event: string;
  data: unknown;
}

function parseFrames(text: string): Frame[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => {
      const lines = block.split('\n');
      const field = (name: string): string | undefined => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      return { id: field('id'), event: field('event')!, data: JSON.parse(field('data') ?? 'null') as unknown };
    });
}

/** Opens the stream on a raw socket and collects frames; `until` says when to stop reading. */
async function stream(port: number, headers: Record<string, string>, until: (frames: Frame[]) => boolean): Promise<Frame[]> {
  const socket = connect(port, '127.0.0.1');
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${extra}\r\n`);
  let text = '';
  const deadline = Date.now() + 10_000;
  try {
    for await (const chunk of socket) {
      text += (chunk as Buffer).toString();
      const frames = parseFrames(text.slice(text.indexOf('\r\n\r\n') + 4));
      if (until(frames)) return frames;
      if (Date.now() > deadline) throw new Error(`stream did not reach the expected state:\n${text.slice(-2000)}`);
    }
  } finally {
    socket.destroy();
  }
  return parseFrames(text);
}

describe('GET /api/v1/events', () => {
  let app: FastifyInstance | undefined;
  let bus: BenchEventBus | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    bus?.stop();
    await app?.close();
    app = bus = undefined;
  });

  async function serve(bench: FakeBench, options: { maxBufferedBytes?: number; capacity?: number } = {}): Promise<number> {
    bus = new BenchEventBus({ bench, outbox: { summary: () => ({ dead: 0 }) as never }, storeDir: '.', capacity: options.capacity, progressIntervalMs: 250 });
    bus.start();
    app = Fastify();
    await app.register(eventRoutes, { prefix: '/api/v1', events: bus, client: { maxBufferedBytes: options.maxBufferedBytes } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return (app.server.address() as { port: number }).port;
  }

  it('starts with a snapshot, then sends the bench changes in order with increasing ids', async () => {
    const bench = new FakeBench();
    const port = await serve(bench);
    const reading = stream(port, {}, (frames) => frames.filter((f) => f.event === 'slot').length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const phase of ['IDENTIFYING', 'CHECKING', 'UNLOCKING'] as const) bench.set({ ...emptySlot('JIG-1', 3), present: true, phase });
    const frames = await reading;
    expect(frames[0]!.event).toBe('snapshot');
    expect((frames[0]!.data as { slots: unknown[]; operatorId: string }).slots).toHaveLength(8);
    const slots = frames.filter((f) => f.event === 'slot');
    expect(slots.map((f) => (f.data as SlotView).phase)).toEqual(['IDENTIFYING', 'CHECKING', 'UNLOCKING']);
    const seqs = frames.map((f) => Number(f.id!.split('.')[1]));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('resumes from Last-Event-ID with exactly the missed events, and falls back to a snapshot for an id it no longer has', async () => {
    const bench = new FakeBench();
    const port = await serve(bench, { capacity: 5 });
    bench.set({ ...emptySlot('JIG-1', 1), present: true, phase: 'IDENTIFYING' });
    const seen = bus!.log.lastId;
    bench.set({ ...emptySlot('JIG-1', 1), present: true, phase: 'CHECKING' });
    bench.set({ ...emptySlot('JIG-1', 2), present: true, phase: 'IDENTIFYING' });
    const resumed = await stream(port, { 'Last-Event-ID': seen }, (frames) => frames.length >= 2);
    expect(resumed.map((f) => f.event)).toEqual(['slot', 'slot']);
    expect(resumed.map((f) => [(f.data as SlotView).slot, (f.data as SlotView).phase])).toEqual([
      [1, 'CHECKING'],
      [2, 'IDENTIFYING'],
    ]);

    for (let i = 0; i < 10; i++) bench.set({ ...emptySlot('JIG-1', 4), present: true, phase: i % 2 ? 'CHECKING' : 'IDENTIFYING' });
    const tooOld = await stream(port, { 'Last-Event-ID': seen }, (frames) => frames.length >= 1);
    expect(tooOld[0]!.event).toBe('snapshot');
    const otherRun = await stream(port, { 'Last-Event-ID': 'deadbeef.3' }, (frames) => frames.length >= 1);
    expect(otherRun[0]!.event).toBe('snapshot');
    expect((otherRun[0]!.data as { lastEventId: string }).lastEventId).toBe(bus!.log.lastId);
  });

  it("coalesces a transfer's progress to a few events a second per slot, ending on the newest value", async () => {
    const bench = new FakeBench();
    const port = await serve(bench);
    const transferring = { ...emptySlot('JIG-1', 5), present: true, phase: 'TRANSFERRING' as const, deviceId: '00-DB-12-00-00-00-00-05' };
    bench.set(transferring);
    const start = bus!.log.lastId;
    const began = Date.now();
    for (let i = 1; i <= 200; i++) {
      bench.set({ ...transferring, progress: i / 200 });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const elapsedMs = Date.now() - began;
    const frames = await stream(port, { 'Last-Event-ID': start }, (f) =>
      f.some((x) => x.event === 'progress' && (x.data as { progress: number }).progress === 1),
    );
    const progress = frames.filter((f) => f.event === 'progress');
    // 200 updates over `elapsedMs`: at most one per 250 ms window, plus the first and the trailing one.
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 250) + 2);
    expect(progress.length).toBeLessThan(50);
    expect((progress.at(-1)!.data as { progress: number }).progress).toBe(1);
    expect(frames.filter((f) => f.event === 'slot')).toHaveLength(0); // nothing but progress moved
  });

  it('drops a client that stops reading, tells it to resync, and keeps no queue for it', async () => {
    const bench = new FakeBench();
    const port = await serve(bench, { maxBufferedBytes: 64 * 1024 });
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.write('GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    socket.pause(); // a browser tab that hangs
    const listeners = (): number => bus!.log.listenerCount('event');
    const deadline = Date.now() + 10_000;
    while (listeners() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(listeners()).toBe(1);
    const big = 'x'.repeat(16 * 1024);
    let published = 0;
    // Far more than the socket buffers hold: the server must stop queueing for this client.
    while (listeners() > 0 && published < 4000 && Date.now() < deadline) {
      bench.set({ ...emptySlot('JIG-1', 6), present: true, phase: published % 2 ? 'CHECKING' : 'IDENTIFYING', error: { code: 'INTERNAL', message: big } });
      published++;
      if (published % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(listeners()).toBe(0);
    expect(published).toBeLessThan(4000);
    // Publishing on costs the dropped client nothing more.
    for (let i = 0; i < 200; i++)
      bench.set({ ...emptySlot('JIG-1', 6), present: true, phase: i % 2 ? 'CHECKING' : 'IDENTIFYING', error: { code: 'INTERNAL', message: big } });
    let text = '';
    socket.resume();
    for await (const chunk of socket) text += (chunk as Buffer).toString();
    // The last event on the wire (chunked encoding around it) is the resync.
    expect(text.lastIndexOf('event: resync\ndata: ')).toBeGreaterThan(0);
    expect(text.lastIndexOf('event: ')).toBe(text.lastIndexOf('event: resync'));
    expect(text.length).toBeLessThan(published * (big.length + 400));
  });
});
