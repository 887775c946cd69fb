import { api } from './api.js';
import { $, h, setText, svg } from './dom.js';
import type { BatchFailures, ShiftFigures } from './types.js';

/** Hubs per hour (last hour, today), first-pass yield and failures by reason, as small charts. */
export async function drawShift(): Promise<void> {
  let f: ShiftFigures;
  try {
    f = await api<ShiftFigures>('GET', '/api/v1/shift');
  } catch {
    return;
  }
  setText($('#shift-last-hour'), String(f.lastHour));
  setText($('#shift-today'), `${f.today} today · ${f.perHourToday}/h`);
  const fpy = f.firstPassYield;
  setText($('#shift-fpy'), fpy === null ? '—' : `${Math.round(fpy * 100)} %`);
  setText($('#shift-fpy-of'), fpy === null ? 'no first attempts yet' : `of ${f.firstAttempts} first attempts`);
  const fpyBar = $('#shift-fpy-bar');
  fpyBar.style.transform = `scaleX(${fpy ?? 0})`;
  $('#shift-hourly').replaceChildren(hourlyChart(f.hourly));
  const max = Math.max(1, ...f.failures.map((x) => x.count));
  $('#shift-failures').replaceChildren(
    ...(f.failures.length === 0
      ? [h('li', { class: 'muted' }, 'No failures today')]
      : f.failures.map((x) => {
          const bar = h('span', { class: 'fail-bar' });
          bar.style.transform = `scaleX(${x.count / max})`;
          return h(
            'li',
            {},
            h('span', { class: 'fail-code' }, x.code),
            h('span', { class: 'fail-track' }, bar),
            h('span', { class: 'fail-n' }, String(x.count)),
          );
        })),
  );
  await drawBatches();
}

/** Today's failures by batch (work order, model, hardware version, firmware before), worst first: a common defect shows as one long bar. */
async function drawBatches(): Promise<void> {
  let items: BatchFailures[];
  try {
    items = (await api<{ items: BatchFailures[] }>('GET', '/api/v1/batches?limit=6')).items;
  } catch {
    return;
  }
  $('#shift-batches').replaceChildren(
    ...(items.length === 0
      ? [h('li', { class: 'muted' }, 'No failures today')]
      : items.map((b) => {
          const bar = h('span', { class: 'fail-bar' });
          bar.style.transform = `scaleX(${b.hubs === 0 ? 0 : b.failedHubs / b.hubs})`;
          const label = `${b.workOrderId ?? '—'} · ${b.model} hw ${b.hardwareVersion} · from ${b.firmwareBefore}`;
          const codes = b.codes.map((c) => `${c.code} ×${c.count}`).join(', ');
          return h(
            'li',
            { title: codes },
            h('span', { class: 'fail-code' }, label),
            h('span', { class: 'fail-track' }, bar),
            h('span', { class: 'fail-n' }, `${b.failedHubs}/${b.hubs}`),
          );
        })),
  );
}

/** Bars of hubs done per hour today (local hours), the current hour last. */
function hourlyChart(hourly: ShiftFigures['hourly']): SVGSVGElement {
  const hours = 12;
  const now = new Date();
  now.setMinutes(0, 0, 0);
  const byHour = new Map(hourly.map((x) => [new Date(x.hour).getTime(), x.done]));
  const values = Array.from({ length: hours }, (_, i) => {
    const t = now.getTime() - (hours - 1 - i) * 3_600_000;
    return { label: String(new Date(t).getHours()).padStart(2, '0'), done: byHour.get(t) ?? 0 };
  });
  const max = Math.max(1, ...values.map((v) => v.done));
  const chart = svg('svg', {
    viewBox: `0 0 ${hours * 20} 70`,
    class: 'chart',
    role: 'img',
    'aria-label': `Hubs done per hour: ${values.map((v) => `${v.label}h ${v.done}`).join(', ')}`,
  });
  values.forEach((v, i) => {
    const height = Math.round((v.done / max) * 50);
    chart.append(svg('rect', { x: i * 20 + 3, y: 54 - height, width: 14, height, class: 'chart-bar' }));
    if (i % 2 === 1) {
      const label = svg('text', { x: i * 20 + 10, y: 67, 'text-anchor': 'middle', class: 'chart-label' });
      label.textContent = v.label;
      chart.append(label);
    }
  });
  return chart;
}
