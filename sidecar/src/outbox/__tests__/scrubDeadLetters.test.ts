import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NewOutboxEvent } from '../eventQueue';
import { SqliteOutbox } from '../outbox';
import type { TikTokEventRow } from '../../tiktok/types';

const PIXEL = 'CABCDEFGH12345678';
const HASH = 'c'.repeat(64);
const LANE = { pixelId: PIXEL, testEventCode: '' };

/** A row as the relay stores it: every match key, the browser's ip and user agent, pages with query strings. */
function personalRow(eventId: string): TikTokEventRow {
  return {
    event: 'AddToCart',
    event_id: eventId,
    event_time: 1_732_500_000,
    user: {
      email: HASH,
      phone: [HASH, HASH],
      external_id: HASH,
      ttclid: 'E.C.P.click-id-123',
      ttp: 'ttp-cookie-value-1',
      ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
      locale: 'fr_BE',
      ...({ first_party_id: 'unknown-key-kept-nowhere' } as object),
    },
    properties: { contents: [{ content_id: '23', content_type: 'product', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
    page: { url: 'https://shop.example/shop/desk?utm_source=tiktok&ttclid=E.C.P.click-id-123#reviews', referrer: 'https://shop.example/shop?search=desk' },
  };
}

function event(row: TikTokEventRow): NewOutboxEvent {
  return { pixelId: PIXEL, event: row.event, eventId: row.event_id, source: 'browser', row };
}

describe('SqliteEventQueue.scrubDeadLetters', () => {
  let dir: string;
  let file: string;
  let outbox: SqliteOutbox;
  let reader: Database.Database;

  const payloadOf = (eventId: string): unknown =>
    JSON.parse((reader.prepare('SELECT payload FROM outbox WHERE event_id = ?').get(eventId) as { payload: string }).payload);

  /** Enqueue rows and park them as dead letters at `deadAt`. */
  function park(rows: TikTokEventRow[], deadAt: number): void {
    outbox.immediate.events.enqueue(rows.map(event), deadAt - 10);
    const claimed = outbox.immediate.events.claim(LANE, deadAt, rows.length);
    outbox.immediate.events.markDead(claimed.map((r) => r.id), 40002, 'Invalid parameter: data[0].page.url', deadAt);
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scrub-'));
    file = path.join(dir, 'outbox.sqlite');
    outbox = new SqliteOutbox(file);
    reader = new Database(file, { readonly: true });
  });
  afterEach(() => {
    reader.close();
    void outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('removes every user key and page query strings of old dead letters, and keeps what explains them', () => {
    park([personalRow('old')], 1000);
    expect(outbox.immediate.events.scrubDeadLetters(2000, 100)).toBe(1);
    expect(payloadOf('old')).toEqual({
      event: 'AddToCart',
      event_id: 'old',
      event_time: 1_732_500_000,
      properties: { contents: [{ content_id: '23', content_type: 'product', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
      page: { url: 'https://shop.example/shop/desk', referrer: 'https://shop.example/shop' },
    });
    expect(outbox.immediate.events.deadLetters(10)).toEqual([
      expect.objectContaining({ eventId: 'old', event: 'AddToCart', errorCode: 40002, lastError: 'Invalid parameter: data[0].page.url', attempts: 1 }),
    ]);
  });

  it('is idempotent: a second pass changes nothing', () => {
    park([personalRow('old')], 1000);
    expect(outbox.immediate.events.scrubDeadLetters(2000, 100)).toBe(1);
    const once = payloadOf('old');
    expect(outbox.immediate.events.scrubDeadLetters(2000, 100)).toBe(0);
    expect(payloadOf('old')).toEqual(once);
  });

  it('leaves dead letters younger than the cut-off, and events still on their way, untouched', () => {
    park([personalRow('young')], 5000);
    outbox.immediate.events.enqueue([event(personalRow('waiting'))], 1000);
    expect(outbox.immediate.events.scrubDeadLetters(2000, 100)).toBe(0);
    expect(payloadOf('young')).toEqual(personalRow('young'));
    expect(payloadOf('waiting')).toEqual(personalRow('waiting'));
  });

  it('does not add a page or a referrer a row did not have', () => {
    const noReferrer = { ...personalRow('a'), page: { url: 'https://shop.example/shop?order=price' } };
    const noPage = { ...personalRow('b'), page: undefined };
    park([noReferrer, noPage], 1000);
    expect(outbox.immediate.events.scrubDeadLetters(2000, 100)).toBe(2);
    expect(payloadOf('a')).toMatchObject({ page: { url: 'https://shop.example/shop' } });
    expect((payloadOf('a') as TikTokEventRow).page).not.toHaveProperty('referrer');
    expect(payloadOf('b')).not.toHaveProperty('page');
    expect(payloadOf('b')).not.toHaveProperty('user');
  });

  it('changes at most `limit` rows per call', () => {
    park(['1', '2', '3', '4', '5'].map(personalRow), 1000);
    expect([2, 2, 2, 2].map(() => outbox.immediate.events.scrubDeadLetters(2000, 2))).toEqual([2, 2, 1, 0]);
    const left = reader.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE json_type(payload, '$.user') IS NOT NULL`).get() as { n: number };
    expect(left.n).toBe(0);
  });

  it('sends a requeued scrubbed dead letter without personal data', () => {
    park([personalRow('old')], 1000);
    outbox.immediate.events.scrubDeadLetters(2000, 100);
    expect(outbox.immediate.events.requeueDead(3000)).toBe(1);
    const [row] = outbox.immediate.events.claim(LANE, 3000, 10);
    expect(JSON.parse(row.payload).user).toBeUndefined();
    expect(row.payload).not.toMatch(/203\.0\.113\.7|Mozilla|utm_source|search=|ttp-cookie|click-id/);
  });
});
