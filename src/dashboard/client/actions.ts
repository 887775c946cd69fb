import { api, ApiError, setSignedIn, signedIn } from './api.js';
import { $, setText } from './dom.js';
import type { BenchView } from './bench-view.js';

function say(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const status = $('#action-status');
  status.dataset.kind = kind;
  setText(status, text);
}

export async function retry(deviceId: string): Promise<void> {
  try {
    const r = await api<{ jig: string; slot: number }>('POST', `/api/v1/hubs/${encodeURIComponent(deviceId)}/retry`);
    say(`Retrying ${deviceId} in slot ${r.slot}`);
  } catch (err) {
    say(err instanceof ApiError ? `Retry refused: ${err.code}: ${err.message}` : 'Retry failed: no answer', 'error');
  }
}

const armed = new Map<string, number>();

/** Confirming scrap is final: it needs a signed-in operator and a second click within 5 s. */
export async function confirmScrap(deviceId: string, view: BenchView, button?: HTMLButtonElement): Promise<void> {
  if (!signedIn()) {
    say('Sign in first: scrap is confirmed by a named operator', 'error');
    ($('#operator') as HTMLInputElement).focus();
    return;
  }
  const at = armed.get(deviceId);
  if (at === undefined || Date.now() - at > 5000) {
    armed.set(deviceId, Date.now());
    if (button) button.textContent = 'Click again: scrap';
    say(`Confirm scrap of ${deviceId}? Click (or press X) again within 5 s`);
    return;
  }
  armed.delete(deviceId);
  try {
    await api('POST', `/api/v1/hubs/${encodeURIComponent(deviceId)}/confirm-scrap`, {});
    view.patch(deviceId, { hubState: 'SCRAPPED' });
    say(`${deviceId} scrapped by ${signedIn() ?? '?'}`);
  } catch (err) {
    say(err instanceof ApiError ? `Scrap refused: ${err.code}: ${err.message}` : 'Scrap failed: no answer', 'error');
  }
}

/** Sign-in: a session cookie names the technician on every action, and the id becomes the bench's operator. */
export function setupOperator(): void {
  const form = $('#operator-form') as HTMLFormElement;
  const input = $('#operator') as HTMLInputElement;
  const who = $('#operator-who');
  const out = $('#sign-out');
  const draw = (): void => {
    const id = signedIn();
    setText(who, id ? `Signed in: ${id}` : 'Not signed in');
    form.dataset.signedIn = String(id !== null);
    out.hidden = id === null;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = input.value.trim();
    if (!id) return;
    const pin = ($('#operator-pin') as HTMLInputElement).value.trim();
    api('POST', '/api/v1/session', { operatorId: id, ...(pin ? { pin } : {}) })
      .then(() => api<{ operatorId: string }>('PUT', '/api/v1/bench/operator', { operatorId: id }))
      .then(
        (r) => {
          setSignedIn(r.operatorId);
          input.value = '';
          ($('#operator-pin') as HTMLInputElement).value = '';
          draw();
          say(`Signed in as ${r.operatorId}`);
          ($('#scan') as HTMLInputElement).focus();
        },
        (err: unknown) => say(err instanceof ApiError ? `Sign-in refused: ${err.message}` : 'Sign-in failed', 'error'),
      );
  });
  out.addEventListener('click', () => {
    void api('DELETE', '/api/v1/session').catch(() => undefined);
    setSignedIn(null);
    draw();
    ($('#scan') as HTMLInputElement).focus();
  });
  draw();
}
