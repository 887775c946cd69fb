import { $, h } from './dom.js';
import type { Alarm } from './types.js';

/** The bar at the top: each alarm in words, linked to what to do; "Bench healthy" when there are none. */
export function drawAlarms(alarms: Alarm[]): void {
  const bar = $('#alarms');
  bar.dataset.state = alarms.length === 0 ? 'ok' : alarms.some((a) => a.severity === 'critical') ? 'critical' : 'warning';
  if (alarms.length === 0) {
    bar.replaceChildren(h('span', { class: 'alarm-ok' }, '✔ Bench healthy: jigs connected, store writing, N3 delivering, disk space fine'));
    return;
  }
  bar.replaceChildren(
    ...alarms.map((a) =>
      h(
        'a',
        { class: `alarm ${a.severity}`, href: `#${a.help}`, 'data-code': a.code },
        h('span', { 'aria-hidden': 'true' }, a.severity === 'critical' ? '✖' : '⚠'),
        a.message,
        h('span', { class: 'alarm-help' }, '· what to do'),
      ),
    ),
  );
}
