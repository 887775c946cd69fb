import { api, ApiError } from './api.js';
import { $, h } from './dom.js';
import type { HubState } from '../../domain/hub-state.js';
import type { WorkOrder } from './types.js';

const DONE_STATES: HubState[] = ['REFLASHED', 'ALREADY_CURRENT', 'REJECTED', 'SCRAPPED', 'RETURNED', 'NOT_RECEIVED'];
const SHOWN: Array<[HubState, string]> = [
  ['EXPECTED', 'expected'],
  ['ACCEPTED', 'to flash'],
  ['REFLASHED', 'reflashed'],
  ['ALREADY_CURRENT', 'current'],
  ['FAILED', 'failed'],
  ['SCRAP_PROPOSED', 'scrap?'],
  ['REJECTED', 'rejected'],
  ['RETURNED', 'returned'],
];

/** Open work orders with counts by state, a progress bar, the manifest CSV and a two-click close. */
export async function drawWorkOrders(): Promise<void> {
  const list = $('#work-orders');
  let orders: WorkOrder[];
  try {
    orders = (await api<{ items: WorkOrder[] }>('GET', '/api/v1/work-orders?state=OPEN&limit=20')).items;
  } catch {
    return; // the next result or reconnect draws it again
  }
  if (orders.length === 0) {
    list.replaceChildren(h('p', { class: 'muted' }, 'No open work orders'));
    return;
  }
  list.replaceChildren(...orders.map(orderCard));
}

function orderCard(order: WorkOrder): HTMLElement {
  const done = DONE_STATES.reduce((n, s) => n + (order.counts[s] ?? 0), 0);
  const share = order.hubCount === 0 ? 0 : done / order.hubCount;
  const counts = SHOWN.filter(([s]) => (order.counts[s] ?? 0) > 0).map(([s, word]) => h('span', { class: `count s-${s}` }, `${order.counts[s]} ${word}`));
  const bar = h('div', { class: 'bar-fill' });
  bar.style.transform = `scaleX(${share})`;
  const status = h('span', { class: 'wo-status', role: 'status' });
  const close = h('button', { type: 'button', class: 'btn' }, 'Close order');
  let armed = false;
  close.addEventListener('click', () => {
    if (!armed) {
      armed = true;
      close.textContent = 'Click again to close';
      setTimeout(() => {
        armed = false;
        close.textContent = 'Close order';
      }, 5000);
      return;
    }
    api('POST', `/api/v1/work-orders/${encodeURIComponent(order.id)}/close`).then(
      () => void drawWorkOrders(),
      (err: unknown) => (status.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : 'not closed'),
    );
  });
  return h(
    'article',
    { class: 'wo', 'data-id': order.id },
    h('div', { class: 'wo-head' }, h('strong', {}, order.id), h('span', { class: 'muted' }, `${order.secPartyId} · ${done}/${order.hubCount}`)),
    h(
      'div',
      {
        class: 'bar',
        role: 'progressbar',
        'aria-valuenow': String(Math.round(share * 100)),
        'aria-valuemin': '0',
        'aria-valuemax': '100',
        'aria-label': `${order.id} progress`,
      },
      bar,
    ),
    h('div', { class: 'counts' }, ...counts),
    h(
      'div',
      { class: 'wo-actions' },
      h(
        'a',
        { class: 'btn', href: `/api/v1/work-orders/${encodeURIComponent(order.id)}/manifest?format=csv`, download: `manifest-${order.id}.csv` },
        'Manifest CSV',
      ),
      close,
    ),
    status,
  );
}
