import type { Alarm, Jig, ProgressEvent, Snapshot, SlotTile } from './types.js';

export interface StreamHandlers {
  snapshot(s: Snapshot): void;
  slot(t: SlotTile): void;
  progress(p: ProgressEvent): void;
  jig(j: Jig & { reason: string | null }): void;
  alarms(items: Alarm[]): void;
  result(r: { deviceId: string | null; result: string }): void;
  intake(i: { deviceId: string; decision: string }): void;
  status(live: boolean): void;
}

/**
 * The page's one live source: GET /api/v1/events. The browser reconnects by itself and sends
 * Last-Event-ID; the daemon then replays what was missed or sends a fresh snapshot. A `resync`
 * (this page was too slow) opens a new stream without the id, so the next thing is a snapshot.
 */
export function connect(handlers: StreamHandlers): void {
  let source: EventSource;
  const open = (): void => {
    source = new EventSource('/api/v1/events');
    const on = <T>(type: string, fn: (data: T) => void): void =>
      source.addEventListener(type, (e) => {
        fn(JSON.parse((e as MessageEvent<string>).data) as T);
      });
    on<Snapshot>('snapshot', (s) => handlers.snapshot(s));
    on<SlotTile>('slot', (t) => handlers.slot(t));
    on<ProgressEvent>('progress', (p) => handlers.progress(p));
    on<Jig & { reason: string | null }>('jig', (j) => handlers.jig(j));
    on<{ items: Alarm[] }>('alarms', (a) => handlers.alarms(a.items));
    on<{ deviceId: string | null; result: string }>('result', (r) => handlers.result(r));
    on<{ deviceId: string; decision: string }>('intake', (i) => handlers.intake(i));
    on<unknown>('resync', () => {
      source.close();
      open();
    });
    source.addEventListener('open', () => handlers.status(true));
    source.addEventListener('error', () => {
      handlers.status(false);
      // A closed source (the daemon answered with an error) does not retry by itself.
      if (source.readyState === EventSource.CLOSED) setTimeout(open, 2000);
    });
  };
  open();
}
