import pino from 'pino';
import { OdooSettingsSource } from '../odoo';
import { indexByPixel, parseWebsiteEntry } from '../odooAnswer';
import type { OdooTransport } from '../../odoo/types';

const entry = (overrides: Record<string, unknown> = {}) => ({
  website_id: 1,
  name: 'Shop',
  enabled: true,
  pixel_id: 'CPIXEL00000000000001',
  access_token: 'token-0000000001',
  domains: ['https://shop.example'],
  event_names: { Purchase: 'CompletePayment', SubmitForm: 'Lead' },
  consent_required: true,
  purchase_without_payment: false,
  debug: false,
  ...overrides,
});

describe('parseWebsiteEntry', () => {
  it('maps the RPC answer to settings', () => {
    const parsed = parseWebsiteEntry(entry({ test_event_code: 'TEST1' }));
    expect(parsed).toEqual({
      kind: 'usable',
      settings: expect.objectContaining({ websiteId: 1, pixelId: 'CPIXEL00000000000001', testEventCode: 'TEST1', consentRequired: true, eventNames: { Purchase: 'CompletePayment', SubmitForm: 'Lead' } }),
    });
  });
  it('reads the matching level and limited data use, contact keys and off when a module before 19.0.1.4.0 leaves them out', () => {
    const richer = parseWebsiteEntry(entry({ match_keys: 'contact_name_address', limited_data_use: true }));
    expect(richer.kind === 'usable' && richer.settings).toMatchObject({ matchKeys: 'contact_name_address', limitedDataUse: true });
    const older = parseWebsiteEntry(entry());
    expect(older.kind === 'usable' && older.settings).toMatchObject({ matchKeys: 'contact', limitedDataUse: false });
  });
  it.each([
    [{ match_keys: 'everything' }, 'unreadable settings'],
    [{ pixel_id: false }, 'no pixel id'],
    [{ access_token: false }, 'no Events API access token'],
    [{ access_token: '  ' }, 'no Events API access token'],
    [{ enabled: false }, 'disabled'],
    [{ pixel_id: 'not a pixel!' }, 'is not a TikTok pixel code'],
    [{ event_names: { Purchase: 'Buy', SubmitForm: 'Lead' } }, 'unreadable settings'],
    [{ website_id: 'one' }, 'unreadable settings'],
  ])('skips %j with a reason', (overrides, reason) => {
    const parsed = parseWebsiteEntry(entry(overrides));
    expect(parsed.kind).toBe('skipped');
    expect(parsed.kind === 'skipped' && parsed.reason).toContain(reason);
  });
  it('serves websites sharing a pixel on the union of their domains', () => {
    const a = parseWebsiteEntry(entry());
    const b = parseWebsiteEntry(entry({ website_id: 2, domains: ['https://other.example'] }));
    if (a.kind !== 'usable' || b.kind !== 'usable') throw new Error('expected usable');
    expect(indexByPixel([a.settings, b.settings]).get('CPIXEL00000000000001')?.domains).toEqual(['https://shop.example', 'https://other.example']);
  });
});

describe('OdooSettingsSource', () => {
  function source(answers: (() => unknown)[]) {
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
    let i = 0;
    const transport: OdooTransport = { kind: 'json2', call: async () => answers[Math.min(i++, answers.length - 1)]() as never };
    return { settings: new OdooSettingsSource(async () => transport, log, 60_000), warnings };
  }

  it('routes by pixel, applies changes without a restart and warns once per skipped website', async () => {
    const { settings, warnings } = source([
      () => [entry(), entry({ website_id: 2, pixel_id: false })],
      () => [entry({ domains: ['https://new.example'] }), entry({ website_id: 2, pixel_id: false })],
    ]);
    await settings.refresh();
    expect(settings.byPixel('CPIXEL00000000000001')?.domains).toEqual(['https://shop.example']);
    await settings.refresh();
    expect(settings.byPixel('CPIXEL00000000000001')?.domains).toEqual(['https://new.example']);
    expect(warnings.filter((w) => w.includes('no pixel id'))).toHaveLength(1);
  });

  it('keeps the last good settings when Odoo fails or answers nonsense', async () => {
    const { settings } = source([
      () => [entry()],
      () => {
        throw new Error('Odoo unreachable');
      },
      () => ({ not: 'a list' }),
    ]);
    await settings.refresh();
    await expect(settings.refresh()).rejects.toThrow('unreachable');
    await expect(settings.refresh()).rejects.toThrow('did not return a list');
    expect(settings.byPixel('CPIXEL00000000000001')?.accessToken).toBe('token-0000000001');
  });
});
