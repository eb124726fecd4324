import { pollUntil } from '../poll';

function clock() {
  let time = 0;
  return {
    now: () => time,
    sleep: (ms: number) => {
      time += ms;
      return Promise.resolve();
    },
  };
}

describe('pollUntil', () => {
  it('stops at the first final answer', async () => {
    const answers = ['requested', 'sent', 'answered', 'never read'];
    const seen: string[] = [];
    const fetchValue = jest.fn(() => Promise.resolve(answers.shift()!));
    const result = await pollUntil(fetchValue, (v) => v === 'answered', (v) => seen.push(v), { intervalMs: 2000, timeoutMs: 60_000, ...clock() });
    expect(result).toEqual({ value: 'answered', done: true, timedOut: false });
    expect(seen).toEqual(['requested', 'sent', 'answered']);
    expect(fetchValue).toHaveBeenCalledTimes(3);
  });

  it('asks every interval for a minute, then gives up', async () => {
    const fetchValue = jest.fn(() => Promise.resolve('sent'));
    const result = await pollUntil(fetchValue, () => false, () => undefined, { intervalMs: 2000, timeoutMs: 60_000, ...clock() });
    expect(result).toEqual({ value: 'sent', done: false, timedOut: true });
    // t = 0, 2 s, ..., 60 s
    expect(fetchValue).toHaveBeenCalledTimes(31);
  });

  it('makes no call once the caller went away', async () => {
    let closed = false;
    const fetchValue = jest.fn(() => {
      closed = true;
      return Promise.resolve('sent');
    });
    const onValue = jest.fn();
    const result = await pollUntil(fetchValue, () => false, onValue, { intervalMs: 2000, timeoutMs: 60_000, cancelled: () => closed, ...clock() });
    expect(result).toBeUndefined();
    expect(fetchValue).toHaveBeenCalledTimes(1);
    expect(onValue).not.toHaveBeenCalled();
  });
});
