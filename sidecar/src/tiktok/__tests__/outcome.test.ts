import { classifyCode, classifyResponse, readRowFailures, withRetryAfter } from '../outcome';

const NGINX_404 = '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n</body>\r\n</html>';
const NGINX_413 = '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n</body>\r\n</html>';

describe('classifyResponse', () => {
  it('reads the code, not only the HTTP status', () => {
    expect(classifyResponse(200, { code: 0, message: 'OK' })).toEqual({ kind: 'delivered' });
    expect(classifyResponse(200, { code: 40002, message: 'Invalid value' })).toEqual({ kind: 'rejected', code: 40002, message: 'Invalid value' });
    expect(classifyResponse(200, { code: 40000, message: 'x' })).toEqual({ kind: 'rejected', code: 40000, message: 'x' });
    expect(classifyResponse(400, { code: 40002, message: 'Invalid value' }).kind).toBe('rejected');
  });

  it.each([40001, 40104, 40105, 40110])('pauses for the token on %s, whatever the HTTP status', (code) => {
    expect(classifyResponse(200, { code, message: 'no' })).toEqual({ kind: 'request_problem', problem: 'token_refused', code, message: 'no' });
    expect(classifyResponse(401, { code, message: 'no' })).toMatchObject({ kind: 'request_problem', problem: 'token_refused' });
  });

  it('treats an unknown code as a refusal of the request, not of its rows', () => {
    expect(classifyResponse(200, { code: 41999, message: 'Something new' })).toEqual({
      kind: 'request_problem',
      problem: 'request_refused',
      code: 41999,
      message: 'unknown code 41999: Something new',
    });
  });

  it.each([
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'server_error'],
    [504, 'server_error'],
    [408, 'server_error'],
    [429, 'rate_limited'],
  ])('retries HTTP %s as %s, even with a JSON body', (status, cause) => {
    expect(classifyResponse(status, '<html>')).toMatchObject({ kind: 'retry', cause });
    expect(classifyResponse(status, { code: 40002, message: 'x' })).toMatchObject({ kind: 'retry', cause });
  });

  it('retries 40100 as rate limited and 40700 or a 5xxxx code as a busy TikTok', () => {
    expect(classifyResponse(200, { code: 40100, message: 'Too many requests' })).toEqual({ kind: 'retry', cause: 'rate_limited', detail: '40100: Too many requests' });
    expect(classifyResponse(200, { code: 40700, message: 'busy' })).toEqual({ kind: 'retry', cause: 'tiktok_busy', detail: '40700: busy' });
    expect(classifyResponse(200, { code: 50002, message: 'internal' })).toMatchObject({ kind: 'retry', cause: 'tiktok_busy' });
  });

  it('says a 404 (HTML or JSON), a 405 or a redirect come from a wrong base URL, naming the URL', () => {
    const url = 'https://business-api.tiktok.com/v1.3/event/track/';
    expect(classifyResponse(404, NGINX_404, url)).toEqual({ kind: 'request_problem', problem: 'wrong_base_url', code: 404, message: `HTTP 404 from ${url}` });
    expect(classifyResponse(404, { code: 40400, message: 'no route' }, url)).toMatchObject({ problem: 'wrong_base_url' });
    expect(classifyResponse(405, '', url)).toMatchObject({ problem: 'wrong_base_url', code: 405 });
    expect(classifyResponse(301, '', url)).toMatchObject({ problem: 'wrong_base_url', code: 301 });
  });

  it('pauses on an answer that is not the Events API: an HTML page, plain text, JSON without a code', () => {
    expect(classifyResponse(200, '<html><body>Welcome to the portal</body></html>')).toEqual({
      kind: 'request_problem',
      problem: 'not_tiktok_answer',
      code: 200,
      message: 'HTTP 200 with an HTML page instead of an Events API answer',
    });
    expect(classifyResponse(403, '<!doctype html><p>blocked</p>')).toMatchObject({ problem: 'not_tiktok_answer', code: 403 });
    expect(classifyResponse(200, 'OK')).toMatchObject({ problem: 'not_tiktok_answer', message: expect.stringContaining('not JSON') });
    expect(classifyResponse(200, '')).toMatchObject({ problem: 'not_tiktok_answer', message: expect.stringContaining('empty body') });
    expect(classifyResponse(200, { status: 'ok' })).toMatchObject({ problem: 'not_tiktok_answer', message: expect.stringContaining('without a TikTok code') });
    expect(classifyResponse(200, { code: '0' })).toMatchObject({ problem: 'not_tiktok_answer' });
  });

  it('splits on 413, HTML or JSON, and on a "request entity too large" message', () => {
    expect(classifyResponse(413, NGINX_413)).toEqual({ kind: 'too_large', status: 413, message: '413 Request Entity Too Large' });
    expect(classifyResponse(413, { code: 40000, message: 'Request entity too large' })).toEqual({ kind: 'too_large', status: 413, message: 'Request entity too large' });
    expect(classifyResponse(413, '')).toEqual({ kind: 'too_large', status: 413, message: 'Request Entity Too Large' });
    expect(classifyResponse(200, { code: 40000, message: 'Request Entity Too Large' })).toMatchObject({ kind: 'too_large', status: 200 });
  });

  it('keeps long messages short', () => {
    const outcome = classifyResponse(200, { code: 40002, message: 'x'.repeat(5000) });
    expect(outcome.kind === 'rejected' && outcome.message.length).toBeLessThan(310);
  });
});

describe('20001 (partial success)', () => {
  it('is delivered without readable per-event failures', () => {
    expect(classifyResponse(200, { code: 20001, message: 'Partial', data: {} })).toEqual({ kind: 'delivered' });
    expect(classifyResponse(200, { code: 20001, message: 'Partial' })).toEqual({ kind: 'delivered' });
    expect(classifyResponse(200, { code: 20001, message: 'Partial', data: { failed_events: 'none' } })).toEqual({ kind: 'delivered' });
    expect(classifyResponse(200, { code: 20001, message: 'Partial', data: { failed_events: [{ code: 40002 }] } })).toEqual({ kind: 'delivered' });
  });

  it('names the failed events from data.failed_events', () => {
    const body = { code: 20001, message: 'Partial', data: { failed_events: [{ index: 2, event_id: 'e-2', code: 40002, message: 'bad currency' }] } };
    expect(classifyResponse(200, body)).toEqual({ kind: 'partial', failures: [{ index: 2, eventId: 'e-2', code: 40002, message: 'bad currency' }] });
  });

  it.each([
    ['data.error_events', { error_events: [{ event_id: 'a', code: 40002, msg: 'm' }] }],
    ['data.failed', { failed: [{ event_id: 'a', code: 40002, error: 'm' }] }],
    ['data.errors', { errors: [{ event_id: 'a', code: 40002, message: 'm' }] }],
    ['data as an array', [{ event_id: 'a', code: 40002, message: 'm' }]],
  ])('reads %s', (_label, data) => {
    expect(readRowFailures(data)).toEqual([{ index: undefined, eventId: 'a', code: 40002, message: 'm' }]);
  });

  it('skips entries that name no row and defaults a missing code and message', () => {
    const failures = readRowFailures({
      failed_events: [null, 'e-1', { index: -1 }, { index: 1.5 }, { event_id: '' }, { index: 0 }, { event_id: 'b', code: '40002' }],
    });
    expect(failures).toEqual([
      { index: 0, eventId: undefined, code: 20001, message: 'TikTok reported this event as failed' },
      { index: undefined, eventId: 'b', code: 20001, message: 'TikTok reported this event as failed' },
    ]);
  });

  it('classifies a code alone the same way', () => {
    expect(classifyCode(0, 'OK')).toEqual({ kind: 'delivered' });
    expect(classifyCode(40104, 'expired')).toMatchObject({ kind: 'request_problem', problem: 'token_refused' });
  });
});

describe("TikTok's own words, before anything logs or stores them", () => {
  const quoting = 'Invalid parameter: user.email victim@example.com, phone +33 6 12 34 56 78, ip 203.0.113.7 and 2001:db8::7';
  const leaks = (text: string) => ['victim@example.com', '12 34 56 78', '203.0.113.7', '2001:db8::7'].filter((value) => text.includes(value));

  it('blanks contact data and IP addresses a refusal quotes, whatever the outcome', () => {
    for (const body of [
      { code: 40002, message: quoting },
      { code: 40105, message: quoting },
      { code: 41999, message: quoting },
      { code: 40700, message: quoting },
    ]) {
      const text = JSON.stringify(classifyResponse(200, body));
      expect(leaks(text)).toEqual([]);
      expect(text).toContain('[redacted]');
    }
    expect(leaks(JSON.stringify(classifyResponse(413, `<html><body><p>${quoting}</p></body></html>`)))).toEqual([]);
    expect(leaks(JSON.stringify(readRowFailures({ failed_events: [{ index: 0, code: 40002, message: quoting }] })))).toEqual([]);
  });

  it('redacts before it cuts: an address across the cut is not left half visible', () => {
    const outcome = classifyResponse(200, { code: 40002, message: `${'x '.repeat(145)}victim.long.name@example.com` });
    expect(outcome.kind === 'rejected' && outcome.message).not.toMatch(/victim/);
  });

  it('leaves words, codes and versions that are not addresses alone', () => {
    expect(classifyResponse(200, { code: 40002, message: 'Invalid value for field "currency" (deadbeef, face 10:20)' })).toMatchObject({
      message: 'Invalid value for field "currency" (deadbeef, face 10:20)',
    });
  });
});

describe('withRetryAfter', () => {
  const limited = classifyResponse(429, '');
  const now = Date.parse('2026-12-06T04:00:00Z');

  it('reads the wait a rate limit asks for, in seconds or as an HTTP date', () => {
    expect(withRetryAfter(limited, '7', now)).toEqual({ ...limited, retryAfterMs: 7000 });
    expect(withRetryAfter(limited, ' 7 ', now)).toEqual({ ...limited, retryAfterMs: 7000 });
    expect(withRetryAfter(limited, 'Sun, 06 Dec 2026 04:00:30 GMT', now)).toEqual({ ...limited, retryAfterMs: 30_000 });
    expect(withRetryAfter(classifyCode(40100, 'Too many requests'), '3', now)).toMatchObject({ cause: 'rate_limited', retryAfterMs: 3000 });
  });

  it('asks for nothing when the header is absent, unreadable or past, and leaves other outcomes alone', () => {
    for (const header of [undefined, '', 'soon', '-5', '0', '1.5', 'Sun, 06 Dec 2026 03:59:00 GMT', ['7']]) {
      expect(withRetryAfter(limited, header, now)).toEqual(limited);
    }
    const busy = classifyResponse(503, '');
    expect(withRetryAfter(busy, '7', now)).toEqual(busy);
  });
});
