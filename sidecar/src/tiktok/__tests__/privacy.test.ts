import { cleanPageUrl, cleanUserAgent, containsContactData, isTtclid, isTtp, MAX_USER_AGENT_LENGTH, redactContactData, REDACTED } from '../privacy';

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

describe('cleanUserAgent', () => {
  it.each([
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.85 Safari/537.36',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/455.0.0.39.109]',
  ])('keeps a browser\'s, version numbers and all: %s', (ua) => {
    expect(cleanUserAgent(ua)).toBe(ua);
  });

  it.each([
    ['an e-mail address', 'Mozilla/5.0 (X11) Chrome/131.0 jane.doe@mail.com'],
    ['a phone number', 'Mozilla/5.0 (X11) Chrome/131.0 call +32 470 12 34 56'],
    ['an absurd length', `Mozilla/5.0 ${'x'.repeat(MAX_USER_AGENT_LENGTH)}`],
    ['nothing', ''],
  ])('drops one with %s', (_name, ua) => {
    expect(cleanUserAgent(ua)).toBeUndefined();
  });
});
