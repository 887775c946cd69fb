import { api, ApiError } from './api.js';
import { $, h } from './dom.js';
import type { HubDetail } from './types.js';

/** A hub's attempts in the side panel (not a modal: the scan box keeps working beside it). */
export async function showHistory(deviceId: string): Promise<void> {
  const panel = $('#history');
  const body = $('#history-body');
  panel.hidden = false;
  $('#history-title').textContent = `Hub ${deviceId}`;
  body.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const hub = await api<HubDetail>('GET', `/api/v1/hubs/${encodeURIComponent(deviceId)}`);
    const rows = hub.attempts.flatMap((a) => {
      const ms = a.finishedAt ? Date.parse(a.finishedAt) - Date.parse(a.startedAt) : null;
      const main = h(
        'tr',
        {},
        h('td', {}, new Date(a.startedAt).toLocaleTimeString()),
        h('td', {}, `${a.jigId}/${a.slot}`),
        h('td', {}, a.result ?? 'running'),
        h('td', {}, ms === null ? '' : `${(ms / 1000).toFixed(1)} s`),
        h('td', {}, a.error ? `${a.error.code}${a.error.phase ? ` (${a.error.phase})` : ''}` : ''),
        h('td', {}, a.operatorId ?? ''),
      );
      return [main, h('tr', { class: 'phases' }, h('td', { colspan: '6' }, phaseTimes(a.timings) || 'no phase finished'))];
    });
    body.replaceChildren(
      h('p', {}, `${hub.model} · now v${hub.firmwareVersion} · outcome ${hub.outcome ?? 'none yet'}`),
      h(
        'table',
        { class: 'attempts' },
        h('thead', {}, h('tr', {}, ...['Started', 'Slot', 'Result', 'Took', 'Error', 'Operator'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows),
      ),
    );
  } catch (err) {
    body.replaceChildren(h('p', {}, err instanceof ApiError && err.status === 404 ? 'No attempts on record for this hub yet.' : 'Could not load the history.'));
  }
}

const PHASES: Array<[string, string]> = [
  ['identify', 'id'],
  ['unlock', 'unlock'],
  ['transfer', 'xfer'],
  ['verify', 'verify'],
  ['activate', 'act'],
  ['readBack', 'read'],
];

/** "id 0.1 s · unlock 0.3 s · xfer 4.2 s …": where the attempt spent its time. */
function phaseTimes(timings: Record<string, number>): string {
  return PHASES.filter(([k]) => timings[k] !== undefined)
    .map(([k, label]) => `${label} ${(timings[k]! / 1000).toFixed(1)} s`)
    .join(' · ');
}
