import { website } from '../../../../tests/helpers/sidecar';
import { REPORT_MAX_MESSAGE_CHARS } from '../../contract/report';
import { planTestEvent, reportMessage, testEventAnswer } from '../testEvent';

const NOW = 1_732_500_000_123;
const request = { request_id: 7, website_id: 1 };

describe('planTestEvent', () => {
  it('sends one Pageview with the website\'s test event code, pixel and token, and a fresh event id', () => {
    const plan = planTestEvent(request, [website({ websiteId: 2, pixelId: 'COTHERPIXEL000000002' }), website({ testEventCode: 'TEST123' })], NOW, 'a1b2c3d4');
    expect(plan).toMatchObject({ kind: 'send', requestId: 7, eventId: 'test-7-a1b2c3d4', accessToken: 'test-access-token-0001' });
    if (plan.kind !== 'send') throw new Error('expected a send');
    expect(JSON.parse(plan.body)).toEqual({
      event_source: 'web',
      event_source_id: website().pixelId,
      partner_name: 'Odoo',
      test_event_code: 'TEST123',
      data: [{ event: 'Pageview', event_time: 1_732_500_000, event_id: 'test-7-a1b2c3d4', page: { url: 'https://shop.example/' } }],
    });
  });

  it('sends with the code Odoo gave with the request, which settings read earlier may not have yet', () => {
    const saved = { ...request, test_event_code: 'JUSTSAVED1' };
    for (const known of [website(), website({ testEventCode: 'OLDCODE' })]) {
      const plan = planTestEvent(saved, [known], NOW, 'x');
      if (plan.kind !== 'send') throw new Error('expected a send');
      expect(JSON.parse(plan.body).test_event_code).toBe('JUSTSAVED1');
    }
  });

  it('never sends live: a website without a test event code gets an answer saying what to set', () => {
    const plan = planTestEvent(request, [website()], NOW, 'x');
    expect(plan).toEqual({
      kind: 'answer',
      answer: { request_id: 7, message: expect.stringMatching(/^not sent: website 1 has no test event code\. Copy it from TikTok Events Manager/) },
    });
  });

  it('answers for a website the sidecar does not serve, and for one without a token yet', () => {
    expect(planTestEvent({ request_id: 8, website_id: 9 }, [website()], NOW, 'x')).toEqual({
      kind: 'answer',
      answer: { request_id: 8, message: expect.stringContaining('website 9 has no usable TikTok pixel on this sidecar') },
    });
    expect(planTestEvent(request, [website({ testEventCode: 'TEST123', accessToken: '' })], NOW, 'x')).toMatchObject({
      kind: 'answer',
      answer: { request_id: 7, message: expect.stringContaining('no Events API token for website 1 yet') },
    });
  });

  it('asks for limited data use when the website does, as every row sent with its token', () => {
    const plan = planTestEvent(request, [website({ testEventCode: 'TEST123', limitedDataUse: true })], NOW, 'x');
    if (plan.kind !== 'send') throw new Error('expected a send');
    expect(JSON.parse(plan.body).data[0].limited_data_use).toBe(true);
  });

  it('sends without a page when the website names no domain', () => {
    const plan = planTestEvent(request, [website({ testEventCode: 'TEST123', domains: [] })], NOW, 'x');
    if (plan.kind !== 'send') throw new Error('expected a send');
    expect(JSON.parse(plan.body).data[0]).not.toHaveProperty('page');
  });
});

describe('testEventAnswer', () => {
  it('says OK with the event id when TikTok accepted it', () => {
    expect(testEventAnswer(7, 'test-7-x', { kind: 'delivered' })).toEqual({ request_id: 7, code: 0, message: 'OK: TikTok accepted the test event (Pageview, event id test-7-x)' });
    // A nonce of digits is still the id Odoo's dialog looks for, not a phone number to blank.
    expect(testEventAnswer(1, 'test-1-02080438', { kind: 'delivered' }).message).toBe('OK: TikTok accepted the test event (Pageview, event id test-1-02080438)');
  });

  it('carries TikTok\'s code and message, or the HTTP status of an answer without one', () => {
    expect(testEventAnswer(7, 'e', { kind: 'request_problem', problem: 'token_refused', code: 40105, message: 'Access token is incorrect or has been revoked.' })).toEqual({
      request_id: 7,
      code: 40105,
      message: 'Access token is incorrect or has been revoked.',
    });
    expect(testEventAnswer(7, 'e', { kind: 'rejected', code: 40002, message: 'Invalid parameter' })).toMatchObject({ code: 40002 });
    expect(testEventAnswer(7, 'e', { kind: 'partial', failures: [{ index: 0, code: 40002, message: 'bad row' }] })).toMatchObject({ code: 40002, message: 'bad row' });
    expect(testEventAnswer(7, 'e', { kind: 'too_large', status: 413, message: 'Request Entity Too Large' })).toMatchObject({ code: 413 });
  });

  it('words a failure without an answer, without a code', () => {
    const answer = testEventAnswer(7, 'e', { kind: 'retry', cause: 'timeout', detail: 'ECONNABORTED timeout of 10000ms exceeded' });
    expect(answer).toEqual({ request_id: 7, message: 'not delivered, try again later (timeout): ECONNABORTED timeout of 10000ms exceeded' });
  });
});

describe('reportMessage', () => {
  it('blanks contact data and keeps within the contract\'s length', () => {
    expect(reportMessage('refused for jane@mail.com')).toBe('refused for [redacted]');
    const long = reportMessage('x'.repeat(1000));
    expect(long).toHaveLength(REPORT_MAX_MESSAGE_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });
});
