import { describe, expect, it } from 'vitest';
import { eventually, waitFor } from '../../helpers/wait-for.js';

describe('waitFor', () => {
  it('returns the first value the probe gives, polling past undefined, false and throws', async () => {
    let calls = 0;
    const answers = [undefined, false, 'boom', 42] as const;
    const value = await waitFor(
      'the answer',
      () => {
        const a = answers[calls++];
        if (a === 'boom') throw new Error('not yet');
        return a;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe(42);
    expect(calls).toBe(4);
  });

  it('names what it waited for, and the last error, when time runs out', async () => {
    await expect(
      waitFor(
        'the hub to boot',
        () => {
          throw new Error('no IDENTITY');
        },
        { timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow(/timed out after 30 ms waiting for the hub to boot: no IDENTITY/);
    await expect(waitFor('slot 3 to be empty', async () => false, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(/waiting for slot 3 to be empty$/);
  });
});

describe('eventually', () => {
  it('retries an assertion until it passes, else throws its last failure', async () => {
    let n = 0;
    await eventually(() => expect(++n).toBe(3), { intervalMs: 1 });
    expect(n).toBe(3);
    await expect(eventually(() => expect(1).toBe(2), { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(/expected 1 to be 2/);
  });
});
