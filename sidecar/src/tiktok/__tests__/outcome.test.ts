import { classifyResponse } from '../outcome';

describe('classifyResponse', () => {
  it('reads the code, not only the HTTP status', () => {
    expect(classifyResponse(200, { code: 0, message: 'OK' })).toEqual({ kind: 'delivered' });
    expect(classifyResponse(200, { code: 40100, message: 'Too many requests' }).kind).toBe('retry');
    expect(classifyResponse(200, { code: 40002, message: 'Invalid value' })).toEqual({ kind: 'rejected', code: 40002, message: 'Invalid value' });
    expect(classifyResponse(200, { code: 40000, message: 'x' }).kind).toBe('rejected');
  });
  it.each([40001, 40105, 40110])('treats %s as a token/permission problem', (code) => {
    expect(classifyResponse(200, { code, message: 'no' }).kind).toBe('unauthorized');
  });
  it.each([500, 502, 503, 504, 429, 408])('retries HTTP %s', (status) => {
    expect(classifyResponse(status, '<html>').kind).toBe('retry');
  });
  it('retries a 200 whose body is not a TikTok answer (a proxy page)', () => {
    expect(classifyResponse(200, '<html>').kind).toBe('retry');
  });
  it('retries TikTok internal errors', () => {
    expect(classifyResponse(200, { code: 50002, message: 'internal' }).kind).toBe('retry');
  });
});
