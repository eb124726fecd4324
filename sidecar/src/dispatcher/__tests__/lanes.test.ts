import { Lanes, tokenFingerprint } from '../lanes';

const LANE = { pixelId: 'CPIXEL0000000000001', testEventCode: '' };
const TEST_LANE = { pixelId: 'CPIXEL0000000000001', testEventCode: 'TEST1' };
const TOKEN = 'token-one-000000';

function lanes(): Lanes {
  return new Lanes({ baseMs: 1000, maxMs: 8000 }, 200);
}

describe('Lanes', () => {
  it('pauses a lane, growing the pause while the problem persists, and lifts it at its end', () => {
    const book = lanes();
    expect(book.pause(LANE, { reason: 'wrong_base_url', code: 404, message: 'HTTP 404 from x' }, 0, TOKEN)).toEqual({ fresh: true, until: 1000 });
    expect(book.isPaused(LANE, 999, TOKEN)).toBe(true);
    expect(book.isPaused(LANE, 1000, TOKEN)).toBe(false);
    expect(book.pause(LANE, { reason: 'wrong_base_url', code: 404, message: 'HTTP 404 from x' }, 1100, TOKEN)).toEqual({ fresh: false, until: 3100 });
    book.isPaused(LANE, 3100, TOKEN);
    expect(book.pause(LANE, { reason: 'wrong_base_url', code: 404, message: 'HTTP 404 from x' }, 3200, TOKEN).until).toBe(7200);
    book.isPaused(LANE, 7200, TOKEN);
    expect(book.pause(LANE, { reason: 'wrong_base_url', code: 404, message: 'HTTP 404 from x' }, 7300, TOKEN).until).toBe(15_300);
  });

  it('does not grow the pause for batches that left before it', () => {
    const book = lanes();
    book.pause(LANE, { reason: 'request_refused', code: 40002, message: 'm' }, 0, TOKEN);
    expect(book.pause(LANE, { reason: 'request_refused', code: 40002, message: 'm' }, 10, TOKEN)).toEqual({ fresh: false, until: 1000 });
  });

  it('starts over after a delivery, and reports since when it was paused', () => {
    const book = lanes();
    book.pause(LANE, { reason: 'request_refused', code: 40002, message: 'm' }, 0, TOKEN);
    book.isPaused(LANE, 1000, TOKEN);
    book.pause(LANE, { reason: 'request_refused', code: 40002, message: 'm' }, 1000, TOKEN);
    expect(book.delivered(LANE)).toBe(0);
    expect(book.delivered(LANE)).toBeUndefined();
    expect(book.pause(LANE, { reason: 'request_refused', code: 40002, message: 'm' }, 5000, TOKEN)).toEqual({ fresh: true, until: 6000 });
  });

  it('lifts a token pause as soon as the pixel has another token, and not before', () => {
    const book = lanes();
    book.pause(LANE, { reason: 'token_refused', code: 40104, message: 'Access token has expired.' }, 0, TOKEN);
    expect(book.isPaused(LANE, 10, TOKEN)).toBe(true);
    expect(book.holdUntil(LANE, 10)).toBe(210);
    expect(book.isPaused(LANE, 20, 'token-two-000000')).toBe(false);
    // A new token is a fresh start: the next pause is short again and logged.
    expect(book.pause(LANE, { reason: 'token_refused', code: 40104, message: 'x' }, 30, 'token-two-000000')).toEqual({ fresh: true, until: 1030 });
  });

  it('keeps other pauses when the token changes, and holds their rows to the end of the pause', () => {
    const book = lanes();
    book.pause(LANE, { reason: 'wrong_base_url', code: 404, message: 'm' }, 0, TOKEN);
    expect(book.isPaused(LANE, 10, 'token-two-000000')).toBe(true);
    expect(book.holdUntil(LANE, 10)).toBe(1000);
  });

  it('lets one probe at a time leave a lane that was paused, and any number otherwise', () => {
    const book = lanes();
    book.launched(LANE);
    expect(book.mayLaunch(LANE, 0, TOKEN)).toBe(true);
    book.settled(LANE);
    book.pause(LANE, { reason: 'request_refused', code: 40002, message: 'm' }, 0, TOKEN);
    expect(book.mayLaunch(LANE, 500, TOKEN)).toBe(false);
    expect(book.mayLaunch(LANE, 1000, TOKEN)).toBe(true);
    book.launched(LANE);
    expect(book.mayLaunch(LANE, 1000, TOKEN)).toBe(false);
    book.settled(LANE);
    book.delivered(LANE);
    book.launched(LANE);
    expect(book.mayLaunch(LANE, 1000, TOKEN)).toBe(true);
  });

  it('remembers a single-row refusal until something is delivered', () => {
    const book = lanes();
    const refusal = { code: 40002, message: 'Invalid parameter' };
    expect(book.repeatsSingleRefusal(LANE, refusal)).toBe(false);
    book.rememberSingleRefusal(LANE, refusal);
    expect(book.repeatsSingleRefusal(LANE, { ...refusal })).toBe(true);
    expect(book.repeatsSingleRefusal(LANE, { code: 40002, message: 'other' })).toBe(false);
    expect(book.repeatsSingleRefusal(TEST_LANE, refusal)).toBe(false);
    book.delivered(LANE);
    expect(book.repeatsSingleRefusal(LANE, refusal)).toBe(false);
  });

  it('decides a hold to share with a scrubbed message and a fingerprint of a token-bound hold, never the token', () => {
    const book = lanes();
    const { hold, fresh } = book.nextHold(undefined, { reason: 'token_refused', code: 40001, message: 'refused for jane@example.com' }, 100, TOKEN);
    expect(fresh).toBe(true);
    expect(hold).toEqual({ until: 1100, reason: 'token_refused', code: 40001, message: 'refused for [redacted]', streak: 1, since: 100, tokenFingerprint: tokenFingerprint(TOKEN) });
    expect(hold.tokenFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(hold)).not.toContain(TOKEN);
    expect(book.nextHold(undefined, { reason: 'wrong_base_url', code: 404, message: 'm' }, 100, TOKEN).hold.tokenFingerprint).toBe('');
    // Held by another process for this token: kept (one streak step per probe); for another token: a fresh start.
    expect(book.nextHold(hold, { reason: 'token_refused', message: 'x' }, 500, TOKEN)).toEqual({ hold, fresh: false });
    expect(book.nextHold(hold, { reason: 'token_refused', message: 'x' }, 500, 'token-two-000000').hold).toMatchObject({ streak: 1, since: 500, until: 1500 });
    // Ended: the next hold is twice as long, the streak goes on.
    expect(book.nextHold(hold, { reason: 'token_refused', message: 'x' }, 1100, TOKEN)).toMatchObject({ fresh: false, hold: { streak: 2, since: 100, until: 3100 } });
  });

  it("holds a rate-limited lane at least as long as TikTok's Retry-After asks, within the longest hold", () => {
    const book = new Lanes({ baseMs: 1000, maxMs: 8000 }, 200, { baseMs: 100, maxMs: 4000 });
    expect(book.nextHold(undefined, { reason: 'rate_limited', message: 'HTTP 429' }, 0, TOKEN).hold.until).toBe(100);
    expect(book.nextHold(undefined, { reason: 'rate_limited', message: 'HTTP 429', atLeastMs: 2500 }, 0, TOKEN).hold.until).toBe(2500);
    expect(book.nextHold(undefined, { reason: 'rate_limited', message: 'HTTP 429', atLeastMs: 3_600_000 }, 0, TOKEN).hold.until).toBe(4000);
  });

  it('takes the holds the outbox has: a lane held by another process is paused here, one it cleared runs', () => {
    const book = lanes();
    book.pause(LANE, { reason: 'request_refused', code: 40002, message: 'm' }, 0, TOKEN);
    const held = { ...TEST_LANE, until: 5000, reason: 'wrong_base_url', code: 404, message: 'm', streak: 3, since: 10, tokenFingerprint: '' };
    book.syncHolds([held]);
    expect(book.isPaused(LANE, 10, TOKEN)).toBe(false);
    expect(book.isPaused(TEST_LANE, 10, TOKEN)).toBe(true);
    expect(book.states(10)).toEqual([
      { ...LANE, state: 'running' },
      { ...TEST_LANE, state: 'paused', reason: 'wrong_base_url', code: 404, message: 'm', since: 10, until: 5000 },
    ]);
    expect(book.probing(TEST_LANE, 5000)).toBe(true);
    // A rate-limited lane is held, and reported running.
    book.syncHolds([{ ...held, reason: 'rate_limited', code: null }]);
    expect(book.isPaused(TEST_LANE, 10, TOKEN)).toBe(true);
    expect(book.states(10)[1]).toEqual({ ...TEST_LANE, state: 'running' });
  });

  it('reports each lane without contact data', () => {
    const book = lanes();
    book.isPaused(TEST_LANE, 0, TOKEN);
    book.pause(LANE, { reason: 'request_refused', code: 40002, message: 'every event refused alike: bad email jane@example.com, phone +1 555 123 4567' }, 100, TOKEN);
    expect(book.states(200)).toEqual([
      { ...TEST_LANE, state: 'running' },
      {
        ...LANE,
        state: 'paused',
        reason: 'request_refused',
        code: 40002,
        message: 'every event refused alike: bad email [redacted], phone [redacted]',
        since: 100,
        until: 1100,
      },
    ]);
    expect(book.states(1100).map((s) => s.state)).toEqual(['running', 'running']);
  });
});
