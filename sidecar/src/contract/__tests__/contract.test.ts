import { VECTORS } from '../../../../tests/vectors/contractVectors';
import { website } from '../../../../tests/helpers/sidecar';
import { ConfigError, loadConfig } from '../../config';
import { buildPurchaseEvent } from '../../poller/purchaseEvent';
import { parseWebsiteEntry } from '../../settings/odooAnswer';
import { PIXEL_ID } from '../constants';
import { ContentSchema, OrderContentSchema } from '../content';
import { PageConfigSchema } from '../pageConfig';
import { ClaimedPurchaseSchema } from '../purchase';
import { RelayEventSchema, RelayPropertiesSchema } from '../relay';

// tests/vectors/contract.json: the module's tests read the same cases.

const { pixel_id: PIXELS, contents: CONTENTS } = VECTORS;
const pageConfig = CONTENTS.page_config;
const relayEvent = (pixelId: string) => ({ pixel_id: pixelId, event: 'AddToCart', event_id: 'e-1' });
const settingsEntry = (pixelId: string) => ({ website_id: 1, name: 'Shop', enabled: true, pixel_id: pixelId, access_token: 'token', domains: [] });
const nowSeconds = 1_732_500_000;

/** Every place the sidecar reads a pixel code from another part, and whether it took this one. */
function acceptedBy(pixelId: string): Record<string, boolean> {
  return {
    PIXEL_ID: PIXEL_ID.test(pixelId),
    relay: RelayEventSchema.safeParse(relayEvent(pixelId)).success,
    pageConfig: PageConfigSchema.safeParse({ ...pageConfig, pixel_id: pixelId }).success,
    settingsAnswer: parseWebsiteEntry(settingsEntry(pixelId)).kind === 'usable',
  };
}

function envPixel(typed: string): string | undefined {
  try {
    return loadConfig({ TIKTOK_PIXEL_ID: typed, TIKTOK_ACCESS_TOKEN: 'test-access-token-0001' }).TIKTOK_PIXEL_ID;
  } catch (err) {
    if (err instanceof ConfigError && err.problems.some((p) => p.startsWith('TIKTOK_PIXEL_ID'))) return undefined;
    throw err;
  }
}

describe('the pixel code rule', () => {
  it('is the rule of the vectors, case-sensitive', () => {
    expect(PIXEL_ID.source).toBe(PIXELS.pattern);
    expect(PIXEL_ID.flags).toBe('');
  });

  it.each(PIXELS.valid)('%s is taken everywhere', (pixelId) => {
    expect(acceptedBy(pixelId)).toEqual({ PIXEL_ID: true, relay: true, pageConfig: true, settingsAnswer: true });
  });

  it.each(PIXELS.invalid.map((p) => [JSON.stringify(p), p]))('%s is refused everywhere', (_name, pixelId) => {
    expect(acceptedBy(pixelId)).toEqual({ PIXEL_ID: false, relay: false, pageConfig: false, settingsAnswer: false });
  });

  it('says why a website is skipped', () => {
    expect(parseWebsiteEntry(settingsEntry('C4A1B2C3D4E5F6G'))).toMatchObject({
      kind: 'skipped',
      reason: 'pixel id "C4A1B2C3D4E5F6G" is not a TikTok pixel code (16 to 32 upper-case letters and digits)',
    });
  });

  it.each(PIXELS.typed.map((t) => [JSON.stringify(t.raw), t]))('TIKTOK_PIXEL_ID=%s reads as the module reads a typed code', (_name, t) => {
    expect(envPixel(t.raw)).toBe(t.canonical ?? undefined);
  });
});

describe('one content shape', () => {
  const base = { order_id: 42, website_id: 1, event_id: 'purchase-3f1c9a0b7d2e4c6f8a1b3c5d7e9f0a2b', event_time: nowSeconds, value: 1237.5, currency: 'USD' };
  const lineContents = CONTENTS.order_lines.map((c) => c.content);

  it.each(CONTENTS.order_lines.map((c) => [c.content.content_name, c.content]))('the module\'s order line "%s" is a content entry', (_name, content) => {
    expect(OrderContentSchema.strict().parse(content)).toEqual(content);
  });

  it('reaches the Events API row unchanged through a claimed Purchase', () => {
    const purchase = ClaimedPurchaseSchema.parse({ ...base, contents: lineContents });
    expect(purchase.contents).toEqual(lineContents);
    expect(buildPurchaseEvent(purchase, website()).row.properties?.contents).toEqual(lineContents);
  });

  it('is what the page config\'s purchase carries', () => {
    expect(pageConfig.purchase.contents).toEqual(lineContents);
  });

  it('is what a browser relays, with the relay\'s bounds: no negative price from a browser', () => {
    for (const content of lineContents) {
      expect(ContentSchema.strict().safeParse(content).success).toBe((content.price as number) >= 0);
      expect(RelayPropertiesSchema.safeParse({ contents: [content] }).success).toBe((content.price as number) >= 0);
    }
  });
});

describe('the page config', () => {
  it('reads the vectors\' blob as it is', () => {
    expect(PageConfigSchema.parse(pageConfig)).toEqual(pageConfig);
  });

  it('takes the partner\'s identify of each matching level (the module\'s own vectors)', () => {
    const { contact, contact_name_address: richer } = VECTORS.partner_identify;
    expect(PageConfigSchema.parse({ ...pageConfig, match_keys: 'contact', identify: contact }).identify).toEqual(contact);
    expect(PageConfigSchema.parse({ ...pageConfig, match_keys: 'contact_name_address', identify: richer }).identify).toEqual(richer);
  });

  it.each([
    ['a null for an absent key', { product: null }, 'product'],
    ['an unknown key', { extra: 1 }, ''],
    ['a plain e-mail in identify', { identify: { email: 'john@example.com' } }, 'identify.email'],
    ['a plain first name in identify', { identify: { first_name: 'john' } }, 'identify.first_name'],
    ['a city not normalized in identify', { identify: { city: 'Saint-Étienne' } }, 'identify.city'],
    ['an unknown matching level', { match_keys: 'all' }, 'match_keys'],
    ['a page event id the relay would refuse', { page_event_id: 'pv <1>' }, 'page_event_id'],
    ['a currency that is not ISO 4217', { currency: 'usd' }, 'currency'],
  ])('refuses %s', (_name, change, path) => {
    const result = PageConfigSchema.safeParse({ ...pageConfig, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
