import { website } from '../../../../tests/helpers/sidecar';
import { ClaimedPurchaseSchema } from '../../contract/purchase';
import { RelayEventSchema } from '../../contract/relay';
import { ClaimedSourceEventSchema } from '../../contract/sourceEvent';
import type { WebsiteSettings } from '../../settings/types';
import { buildPurchaseEvent } from '../../poller/purchaseEvent';
import { buildSourceEvent } from '../../poller/sourceEvent';
import { decideRelayEvent } from '../../relay/toOutbox';
import { planTestEvent } from '../../report/testEvent';
import { REDACTED } from '../../contract/privacy';
import type { TikTokEventRow } from '../../tiktok/types';

/**
 * Every source of rows sent with a website's token, each given what a careless
 * or hostile writer could put in it: the one rule (`websiteRow.ts`) must hold
 * for all of them alike.
 */
const NOW = 1_732_500_000;
const HOSTILE_TEXT = 'gift for victim＠example.com';
const HOSTILE_USER = { ttclid: '0032470123456', ttp: 'victim.example.com', user_agent: 'Mozilla/5.0 (X11) Chrome/131.0 victim&#64;example.com' };
const contents = [{ content_id: '23', content_name: HOSTILE_TEXT, price: 12.5, quantity: 2 }, { content_id: 'victim@example.com', price: 1, quantity: 1 }];

type Source = (site: WebsiteSettings) => TikTokEventRow;

const SOURCES: Record<string, Source> = {
  'a relayed browser event': (site) => {
    const event = RelayEventSchema.parse({
      pixel_id: site.pixelId, event: 'AddToCart', event_id: 'relay-1', event_time: NOW, consent: 'granted',
      page: { url: 'https://shop.example/survey/start/3f2504e0-4f89-11d3-9a0c-0305e82c3301' },
      user: { ttclid: HOSTILE_USER.ttclid, ttp: HOSTILE_USER.ttp },
      properties: { contents, currency: 'EUR', value: 26, query: HOSTILE_TEXT },
    });
    const decision = decideRelayEvent(event, site, { nowSeconds: NOW, ip: '203.0.113.7', userAgent: HOSTILE_USER.user_agent }, { limits: { value: 1e6, price: 1e6, quantity: 1e3 }, extraOrigins: [] });
    if (decision.kind !== 'store') throw new Error(`not stored: ${JSON.stringify(decision)}`);
    return decision.event.row;
  },
  'a server Purchase': (site) =>
    buildPurchaseEvent(
      ClaimedPurchaseSchema.parse({
        order_id: 42, website_id: 1, event_id: 'purchase-so-42', event_time: NOW, order_name: 'S00042', value: 26, currency: 'EUR', contents,
        user: { email: 'a'.repeat(64), ip: '203.0.113.7', ...HOSTILE_USER }, page_url: 'https://shop.example/shop/confirmation/3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      }),
      site,
    ).row,
  'a CRM stage': (site) =>
    buildSourceEvent(
      ClaimedSourceEventSchema.parse({
        website_id: 1, event_source: 'crm', event_source_id: '7300000000000000001', event: 'Qualified', event_id: 'crm-1', event_time: NOW,
        user: { email: 'a'.repeat(64), ip: '203.0.113.7', ...HOSTILE_USER }, lead: { lead_id: '7412345678901234567', lead_event_source: 'Odoo' },
      }),
      site,
    ).row,
  'an offline sale': (site) =>
    buildSourceEvent(
      ClaimedSourceEventSchema.parse({
        website_id: 1, event_source: 'offline', event_source_id: 'OFFLINE_SET_1', event: 'Purchase', event_id: 'offline-1', event_time: NOW,
        user: { email: 'a'.repeat(64), ...HOSTILE_USER }, properties: { value: 26, currency: 'EUR', order_id: 'Boutique 2 - 000005', shop_id: '2', contents },
      }),
      site,
    ).row,
  'a test event': (site) => {
    const plan = planTestEvent({ request_id: 1, website_id: 1 }, [{ ...site, testEventCode: 'TEST1' }], NOW * 1000, 'x');
    if (plan.kind !== 'send') throw new Error('expected a send');
    return JSON.parse(plan.body).data[0] as TikTokEventRow;
  },
};

describe.each(Object.entries(SOURCES))('the one rule of rows sent with a website\'s token: %s', (_name, rowOf) => {
  it('asks for limited data use when the website does, and leaves the key out otherwise', () => {
    expect(rowOf(website({ limitedDataUse: true })).limited_data_use).toBe(true);
    expect(rowOf(website())).not.toHaveProperty('limited_data_use');
  });

  it('sends no contact data, nor an attribution id outside TikTok\'s shapes, nor a secret of a path', () => {
    const row = rowOf(website());
    const sent = JSON.stringify(row);
    expect(sent).not.toMatch(/victim|example\.com|0032470123456|3f2504e0/);
    if (row.properties?.contents) expect(row.properties.contents).toEqual([expect.objectContaining({ content_id: '23', content_name: `gift for ${REDACTED}` })]);
    if (row.properties?.query) expect(row.properties.query).toBe(`gift for ${REDACTED}`);
  });
});
