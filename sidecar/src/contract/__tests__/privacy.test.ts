import { VECTORS } from '../../../../tests/vectors/contractVectors';
import { cleanPageUrl, containsContactData, isTtclid, isTtp, redactContactData, REDACTED } from '../privacy';

describe('cleanPageUrl', () => {
  const SHOP = ['https://shop.example'];

  it.each([
    ['https://shop.example/web/reset_password?token=abc123&db=x', 'https://shop.example/web/reset_password'],
    ['https://shop.example/my/orders/12?access_token=9f1e-secret#details', 'https://shop.example/my/orders/12'],
    ['https://shop.example/shop?search=desk&utm_source=tiktok&ttclid=E.C.P.abc', 'https://shop.example/shop?search=desk&utm_source=tiktok&ttclid=E.C.P.abc'],
    ['https://shop.example/shop?search=jane%40mail.com', 'https://shop.example/shop'],
    ['https://shop.example/shop?search=%2B32+470+12+34+56', 'https://shop.example/shop'],
    ['https://user:pw@shop.example/shop', 'https://shop.example/shop'],
    ['https://shop.example/contact/jane@mail.com', 'https://shop.example/'],
  ])('%s -> %s', (raw, expected) => {
    expect(cleanPageUrl(raw, SHOP)).toBe(expected);
  });

  it('compares origins as origins: case, default port and a trailing slash do not matter', () => {
    expect(cleanPageUrl('https://shop.example/a', ['HTTPS://Shop.Example:443/'])).toBe('https://shop.example/a');
    expect(cleanPageUrl('https://shop.example:8443/a', ['https://shop.example'])).toBeUndefined();
    expect(cleanPageUrl('http://shop.example/a', ['https://shop.example'])).toBeUndefined();
  });

  it('drops addresses outside the shop, and non-http ones', () => {
    expect(cleanPageUrl('https://www.google.com/search?q=jane', SHOP)).toBeUndefined();
    expect(cleanPageUrl('javascript:alert(1)', SHOP)).toBeUndefined();
    expect(cleanPageUrl('not a url')).toBeUndefined();
    expect(cleanPageUrl('https://other.example/x?utm_source=a')).toBe('https://other.example/x?utm_source=a');
  });
});

describe('contact data in free text', () => {
  it.each(['write to jane.doe@mail.com', 'jane%40mail.com', 'call +32 470 12 34 56', '0470/12.34.56', '(212) 555-0100'])('finds it in %s', (text) => {
    expect(containsContactData(text)).toBe(true);
    expect(redactContactData(text)).toContain(REDACTED);
  });

  it.each(['desk', 'office chair 2 pack', 'iphone 15 pro', 'size 42', 'price 1,350.00'])('leaves %s alone', (text) => {
    expect(containsContactData(text)).toBe(false);
    expect(redactContactData(text)).toBe(text);
  });

  it('keeps the rest of the text', () => {
    expect(redactContactData('desk for jane@mail.com please')).toBe(`desk for ${REDACTED} please`);
    expect(redactContactData('jane@mail.com, joe%40mail.org; <ann@x.io>')).toBe(`${REDACTED}, ${REDACTED}; <${REDACTED}>`);
    expect(redactContactData('search=jane@mail.com.')).toBe(`${REDACTED}.`);
  });

  it('finds no address where there is no local part or no domain', () => {
    expect(containsContactData('@shop.example')).toBe(false);
    expect(containsContactData('desk@')).toBe(false);
    expect(containsContactData('50% off')).toBe(false);
  });

  it('reads a hostile text in linear time', () => {
    // Four times the longest relayed text; the unbounded pattern this replaced took seconds on the first.
    const hostile = ['a%40'.repeat(1024), 'a'.repeat(4096) + '@', `a@${'b'.repeat(4096)}`, '1 '.repeat(2048), 'a@b.cc '.repeat(585)];
    const started = Date.now();
    for (const text of hostile) redactContactData(text);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('attribution ids', () => {
  it('accepts TikTok shapes', () => {
    expect(isTtclid('E.C.P.CqgBAbc123_-xyz')).toBe(true);
    expect(isTtp('2Ab3cD4eF5gH6iJ7kL8mN9oP0q')).toBe(true);
  });
  it.each(['jane@mail.com', '<script>', 'a b c d e f g h', 'short', ''])('refuses %s', (value) => {
    expect(isTtclid(value)).toBe(false);
    expect(isTtp(value)).toBe(false);
  });
});

describe('attribution ids: the shared vectors (the browser takes them with these functions too)', () => {
  const { ttclid, ttp } = VECTORS.scrub;
  it.each(ttclid.valid)('takes the click id %s', (value) => expect(isTtclid(value)).toBe(true));
  it.each(ttclid.invalid)('refuses the click id %j', (value) => expect(isTtclid(value)).toBe(false));
  it.each(ttp.valid)('takes the _ttp cookie %s', (value) => expect(isTtp(value)).toBe(true));
  it.each(ttp.invalid)('refuses the _ttp cookie %j', (value) => expect(isTtp(value)).toBe(false));
});
