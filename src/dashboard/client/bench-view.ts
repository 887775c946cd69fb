import { h, setText } from './dom.js';
import type { Jig, ProgressEvent, SlotTile } from './types.js';
import { ACTION_WORDS, formatEta, tileWords, type TileWords } from './words.js';

interface TileEls {
  root: HTMLElement;
  led: HTMLElement;
  model: HTMLElement;
  idHead: HTMLElement;
  idTail: HTMLElement;
  icon: HTMLElement;
  word: HTMLElement;
  detail: HTMLElement;
  bar: HTMLElement;
  percent: HTMLElement;
  eta: HTMLElement;
}

/**
 * Every jig as a panel of its slots in physical order (1 to 8, left to right), each tile built once
 * and updated in place; text and bar widths change, the box never does (no layout shift).
 */
export class BenchView {
  readonly #root: HTMLElement;
  readonly #tiles = new Map<string, { data: SlotTile; els: TileEls }>();
  readonly #panels = new Map<string, HTMLElement>();
  #jigs = new Map<string, boolean>();
  #onChange: () => void;

  constructor(root: HTMLElement, onChange: () => void) {
    this.#root = root;
    this.#onChange = onChange;
  }

  reset(jigs: Jig[], slots: SlotTile[]): void {
    this.#root.replaceChildren();
    this.#tiles.clear();
    this.#panels.clear();
    this.#jigs = new Map(jigs.map((j) => [j.id, j.connected]));
    this.#root.dataset.jigs = String(jigs.length);
    for (const jig of jigs) {
      const grid = h('div', { class: 'slots' });
      const panel = h(
        'section',
        { class: 'jig', 'data-jig': jig.id, 'aria-label': `Jig ${jig.id}` },
        h('h2', { class: 'jig-title' }, h('span', {}, `Jig ${jig.id}`), h('span', { class: 'jig-link' })),
        grid,
      );
      this.#panels.set(jig.id, panel);
      this.#root.append(panel);
      for (const tile of slots.filter((s) => s.jig === jig.id).sort((a, b) => a.slot - b.slot)) {
        const els = buildTile(tile);
        grid.append(els.root);
        this.#tiles.set(key(tile), { data: tile, els });
      }
      this.#setJigLink(jig.id, jig.connected);
    }
    for (const t of this.#tiles.values()) this.#draw(t);
    this.#onChange();
  }

  slot(tile: SlotTile): void {
    const t = this.#tiles.get(key(tile));
    if (!t) return;
    t.data = tile;
    this.#draw(t);
    this.#onChange();
  }

  progress(event: ProgressEvent): void {
    const t = this.#tiles.get(key(event));
    if (!t) return;
    t.data = { ...t.data, progress: event.progress, etaSeconds: event.etaSeconds };
    drawProgress(t.els, t.data);
  }

  jig(id: string, connected: boolean): void {
    this.#jigs.set(id, connected);
    this.#setJigLink(id, connected);
    for (const t of this.#tiles.values()) if (t.data.jig === id) this.#draw(t);
    this.#onChange();
  }

  /** Marks a hub scrapped on its tile after the technician confirmed it (the slot view keeps the old hub state). */
  patch(deviceId: string, change: Partial<SlotTile>): void {
    for (const t of this.#tiles.values()) {
      if (t.data.deviceId === deviceId) {
        t.data = { ...t.data, ...change };
        this.#draw(t);
      }
    }
    this.#onChange();
  }

  tiles(): Array<{ data: SlotTile; words: TileWords }> {
    return [...this.#tiles.values()].map((t) => ({ data: t.data, words: tileWords(t.data, this.#jigs.get(t.data.jig) ?? false) }));
  }

  find(jig: string, slot: number): SlotTile | undefined {
    return this.#tiles.get(`${jig}/${slot}`)?.data;
  }

  /** "Unload 1, 3 · Re-seat 4" (several jigs: "Unload JIG-1: 1, 3; JIG-2: 5"): what needs hands now, by action. */
  banner(): string {
    const groups = new Map<string, Map<string, number[]>>();
    for (const { data, words } of this.tiles()) {
      if (!words.action) continue;
      const byJig = groups.get(words.action) ?? new Map<string, number[]>();
      byJig.set(data.jig, [...(byJig.get(data.jig) ?? []), data.slot]);
      groups.set(words.action, byJig);
    }
    const many = this.#jigs.size > 1;
    const order: Array<keyof typeof ACTION_WORDS> = ['confirm-scrap', 'reseat', 'retry', 'set-aside', 'unload'];
    return order
      .filter((a) => groups.has(a))
      .map((a) => {
        const byJig = [...groups.get(a)!.entries()];
        return `${ACTION_WORDS[a]} ${many ? byJig.map(([jig, slots]) => `${jig}: ${slots.join(', ')}`).join('; ') : byJig.flatMap(([, slots]) => slots).join(', ')}`;
      })
      .join(' · ');
  }

  #setJigLink(id: string, connected: boolean): void {
    const panel = this.#panels.get(id);
    if (!panel) return;
    panel.classList.toggle('offline', !connected);
    setText(panel.querySelector('.jig-link')!, connected ? '● Connected' : '✖ Offline: check the cable and power');
  }

  #draw(t: { data: SlotTile; els: TileEls }): void {
    const { data, els } = t;
    const words = tileWords(data, this.#jigs.get(data.jig) ?? false);
    els.root.dataset.kind = words.kind;
    els.root.dataset.result = data.result ?? '';
    els.root.dataset.device = data.deviceId ?? '';
    const [head, tail] = splitId(data.deviceId);
    setText(els.idHead, head);
    setText(els.idTail, tail);
    setText(els.model, data.model ?? '');
    setText(els.icon, words.icon);
    setText(els.word, words.word);
    setText(els.detail, words.detail);
    els.led.dataset.colour = data.led.colour;
    els.led.dataset.blink = String(data.led.blink);
    els.led.title = `LED ${data.led.colour.toLowerCase()}${data.led.blink ? ', blinking' : ''}`;
    els.root.setAttribute('aria-label', `Slot ${data.slot}: ${words.word}. ${words.detail}${data.deviceId ? `. Hub ${data.deviceId}` : ''}`);
    drawProgress(els, data);
  }
}

function buildTile(tile: SlotTile): TileEls {
  const led = h('span', { class: 'led', 'aria-hidden': 'true' });
  const model = h('span', { class: 'model' });
  const idHead = h('div', { class: 'id-head' });
  const idTail = h('div', { class: 'id-tail' });
  const icon = h('span', { class: 'icon', 'aria-hidden': 'true' });
  const word = h('span', { class: 'word' });
  const detail = h('div', { class: 'detail' });
  const bar = h('div', { class: 'bar-fill' });
  const percent = h('span', { class: 'percent' });
  const eta = h('span', { class: 'eta' });
  const root = h(
    'article',
    { class: 'tile', tabindex: '-1', 'data-jig': tile.jig, 'data-slot': String(tile.slot) },
    h('div', { class: 'tile-top' }, h('span', { class: 'slot-no' }, String(tile.slot)), icon, led, model),
    idHead,
    idTail,
    h('div', { class: 'state' }, word),
    detail,
    h('div', { class: 'progress' }, h('div', { class: 'bar', role: 'presentation' }, bar), h('div', { class: 'progress-text' }, percent, eta)),
    h('div', { class: 'tile-actions' }),
  );
  return { root, led, model, idHead, idTail, icon, word, detail, bar, percent, eta };
}

function drawProgress(els: TileEls, data: SlotTile): void {
  const active = data.phase !== 'EMPTY' && data.phase !== 'DONE' && data.present;
  const shown = active || data.result === 'REFLASHED' ? data.progress : 0;
  els.bar.style.transform = `scaleX(${shown})`;
  setText(els.percent, active || data.result === 'REFLASHED' ? `${Math.floor(shown * 100)} %` : '');
  setText(els.eta, active ? formatEta(data.etaSeconds) : '');
}

/** "00-DB-12-B8-" and "4E-C0-15-BC": the last four octets are what a person compares with the label. */
function splitId(deviceId: string | null): [string, string] {
  if (!deviceId) return ['', '—'];
  return [deviceId.slice(0, 12), deviceId.slice(12)];
}

function key(t: { jig: string; slot: number }): string {
  return `${t.jig}/${t.slot}`;
}
