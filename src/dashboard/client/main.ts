import { confirmScrap, retry, setupOperator } from './actions.js';
import { drawAlarms } from './alarm-bar.js';
import { BenchView } from './bench-view.js';
import { $, setText } from './dom.js';
import { showHistory } from './history.js';
import { keepScanFocus, setupScanBox } from './scan-box.js';
import { drawShift } from './shift-panel.js';
import { getVolume, setVolume } from './sounds.js';
import { connect } from './stream.js';
import { drawWorkOrders } from './work-orders.js';

const view = new BenchView($('#bench'), () => drawBanner());

function drawBanner(): void {
  const text = view.banner();
  const free = view
    .tiles()
    .filter((t) => t.words.kind === 'empty')
    .map((t) => (document.querySelectorAll('.jig').length > 1 ? `${t.data.jig}/${t.data.slot}` : String(t.data.slot)));
  setText($('#banner'), text || (free.length > 0 ? `Nothing needs your hands · free: ${free.join(', ')}` : 'Nothing needs your hands: the bench is working'));
  $('#banner').dataset.empty = String(!text);
  drawTileActions();
}

/** The one action a tile offers (Retry, or Confirm scrap), in a fixed row so nothing moves. */
function drawTileActions(): void {
  for (const { data, words } of view.tiles()) {
    const tile = document.querySelector<HTMLElement>(`.tile[data-jig="${CSS.escape(data.jig)}"][data-slot="${data.slot}"]`);
    const row = tile?.querySelector<HTMLElement>('.tile-actions');
    if (!tile || !row) continue;
    const want = words.action === 'confirm-scrap' ? 'scrap' : words.action === 'retry' || words.action === 'reseat' ? 'retry' : '';
    if (row.dataset.want === want && row.dataset.device === (data.deviceId ?? '')) continue;
    row.dataset.want = want;
    row.dataset.device = data.deviceId ?? '';
    row.replaceChildren();
    if (!want || !data.deviceId) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `btn ${want === 'scrap' ? 'btn-scrap' : ''}`;
    button.textContent = want === 'scrap' ? 'Confirm scrap' : 'Retry';
    const deviceId = data.deviceId;
    button.addEventListener('click', (e) => {
      e.stopPropagation();
      if (want === 'scrap') void confirmScrap(deviceId, view, button);
      else void retry(deviceId);
    });
    row.append(button);
  }
}

let refreshTimer: number | undefined;
/** Work orders and shift figures change with results and scans: redrawn on those events, not polled. */
function refreshPanels(delayMs = 1000): void {
  if (refreshTimer !== undefined) return;
  refreshTimer = window.setTimeout(() => {
    refreshTimer = undefined;
    void drawWorkOrders();
    void drawShift();
  }, delayMs);
}

connect({
  snapshot: (s) => {
    view.reset(s.jigs, s.slots);
    document.querySelector<HTMLElement>('.tile')?.setAttribute('tabindex', '0');
    drawBanner();
    drawAlarms(s.alarms);
    setText($('#bench-id'), `Bench · ${s.slots.length} slots`);
    refreshPanels(0);
  },
  slot: (t) => view.slot(t),
  progress: (p) => view.progress(p),
  jig: (j) => view.jig(j.id, j.connected),
  alarms: (items) => drawAlarms(items),
  result: () => refreshPanels(),
  intake: () => refreshPanels(),
  status: (live) => {
    const el = $('#live');
    el.dataset.live = String(live);
    setText(el, live ? '● Live' : '○ Reconnecting…');
  },
});

// Keyboard: arrows move between tiles, Enter or H shows the hub's history, R retries, X confirms scrap (twice).
$('#bench').addEventListener('keydown', (e) => {
  const tile = (e.target as HTMLElement).closest<HTMLElement>('.tile');
  if (!tile) return;
  const tiles = [...document.querySelectorAll<HTMLElement>('.tile')];
  const i = tiles.indexOf(tile);
  const perRow = 8;
  const move: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow, ArrowUp: -perRow };
  const data = view.find(tile.dataset.jig ?? '', Number(tile.dataset.slot));
  if (e.key in move) {
    const next = tiles[Math.min(tiles.length - 1, Math.max(0, i + move[e.key]!))];
    if (next) {
      tile.setAttribute('tabindex', '-1');
      next.setAttribute('tabindex', '0');
      next.focus();
    }
    e.preventDefault();
  } else if ((e.key === 'Enter' || e.key === 'h' || e.key === 'H') && data?.deviceId) {
    void showHistory(data.deviceId);
    e.preventDefault();
  } else if ((e.key === 'r' || e.key === 'R') && data?.deviceId) {
    void retry(data.deviceId);
  } else if ((e.key === 'x' || e.key === 'X') && data?.deviceId) {
    void confirmScrap(data.deviceId, view);
  } else if (e.key === 'Escape') {
    ($('#scan') as HTMLInputElement).focus();
  }
});
$('#bench').addEventListener('click', (e) => {
  const tile = (e.target as HTMLElement).closest<HTMLElement>('.tile');
  const data = tile && view.find(tile.dataset.jig ?? '', Number(tile.dataset.slot));
  if (data?.deviceId) void showHistory(data.deviceId);
});
$('#history-close').addEventListener('click', () => {
  $('#history').hidden = true;
  ($('#scan') as HTMLInputElement).focus();
});
const volume = $('#volume') as HTMLInputElement;
volume.value = String(Math.round(getVolume() * 100));
volume.addEventListener('change', () => setVolume(Number(volume.value) / 100));

setupScanBox();
setupOperator();
keepScanFocus();
