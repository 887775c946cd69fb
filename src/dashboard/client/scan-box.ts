import { api, ApiError } from './api.js';
import { $, setText } from './dom.js';
import { beep } from './sounds.js';

const DEVICE_ID = /^[0-9A-F]{2}(-[0-9A-F]{2}){7}$/;
const EXAMPLE = '00-DB-12-34-56-78-90-A0';

interface IntakeReply {
  decision: 'ACCEPTED' | 'REJECTED';
  deviceId: string;
  workOrderId: string | null;
  code?: string;
  message?: string;
}

/** Accepts "00db12…" typed without dashes too: a scanner set up without them still works. */
export function normaliseScan(raw: string): string {
  const s = raw.trim().toUpperCase();
  return /^[0-9A-F]{16}$/.test(s) ? s.match(/../g)!.join('-') : s;
}

/**
 * The scan box: a keyboard-wedge scanner types the Device ID and Enter. The answer comes at once in
 * big type with its tone; a mistyped ID is refused here with the expected form and never sent.
 */
export function setupScanBox(): void {
  const form = $('#scan-form') as HTMLFormElement;
  const input = $('#scan') as HTMLInputElement;
  const answer = $('#scan-answer');
  const show = (kind: 'accepted' | 'rejected' | 'invalid', head: string, text: string): void => {
    answer.dataset.kind = kind;
    setText(answer.querySelector('.answer-head')!, head);
    setText(answer.querySelector('.answer-text')!, text);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const deviceId = normaliseScan(input.value);
    input.value = '';
    if (!deviceId) return;
    if (!DEVICE_ID.test(deviceId)) {
      show('invalid', '✖ Not a Device ID', `“${deviceId.slice(0, 40)}”: expected ${EXAMPLE}. Scan again.`);
      beep('rejected');
      return;
    }
    api<IntakeReply>('POST', '/api/v1/intake', { deviceId }).then(
      (r) => {
        if (r.decision === 'ACCEPTED') {
          show('accepted', '✔ Accepted', `${r.deviceId} · work order ${r.workOrderId ?? '?'}`);
          beep('accepted');
        } else {
          show('rejected', '⚠ Rejected', `${r.deviceId} · ${r.code ?? ''}: ${r.message ?? ''}`);
          beep('rejected');
        }
      },
      (err: unknown) => {
        show('invalid', '✖ Not taken in', err instanceof ApiError ? `${err.code}: ${err.message}` : 'the daemon did not answer; scan again');
        beep('rejected');
      },
    );
  });
}

/**
 * Keeps the scan box ready: focus returns to it whenever nothing else holds it, and the hex digits
 * a scanner types while a tile has focus go to the box, so no scan is lost.
 */
export function keepScanFocus(): void {
  const input = $('#scan') as HTMLInputElement;
  document.addEventListener('focusout', () => {
    setTimeout(() => {
      if (document.activeElement === document.body || document.activeElement === null) input.focus();
    }, 0);
  });
  document.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || e.ctrlKey || e.altKey || e.metaKey) return;
    if (/^[0-9a-fA-F-]$/.test(e.key)) {
      input.focus();
      input.value += e.key;
      e.preventDefault();
    }
  });
  input.focus();
}
