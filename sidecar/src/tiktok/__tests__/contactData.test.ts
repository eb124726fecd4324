import { orUndefined, VECTORS } from '../../../../tests/vectors/contractVectors';
import { cleanUserAgent, hidesContactData, isContactDataReference, MAX_USER_AGENT_LENGTH, scrubFreeText, scrubPageUrl } from '../contactData';
import { containsContactData, isTtclid, isTtp, REDACTED } from '../../contract/privacy';

describe('the shared vectors', () => {
  const { scrub } = VECTORS;

  it.each(scrub.free_text.map((c) => [c.note ?? c.raw, c] as const))('free text: %s', (_name, { raw, scrubbed }) => {
    expect(scrubFreeText(raw)).toBe(scrubbed);
    expect(hidesContactData(raw)).toBe(scrubbed !== raw);
  });

  it.each(scrub.references.map((c) => [c.note ?? c.raw, c] as const))('reference: %s', (_name, { raw, contact_data }) => {
    expect(isContactDataReference(raw)).toBe(contact_data);
  });

  it.each(scrub.page_url.map((c) => [c.note ?? c.raw, c] as const))('page address: %s', (_name, { raw, scrubbed }) => {
    expect(scrubPageUrl(raw)).toBe(orUndefined(scrubbed));
  });

  it('finds whatever the page\'s quick pass finds', () => {
    const texts = [...scrub.free_text.map((c) => c.raw), 'write to jane.doe@mail.com', 'call +32 470 12 34 56', '(212) 555-0100'];
    for (const text of texts) if (containsContactData(text)) expect(hidesContactData(text)).toBe(true);
  });
});

describe('reading a text as written', () => {
  it('decodes character references as a browser does, letters included', () => {
    expect(scrubFreeText('ren&eacute;@mail.com')).toBe(REDACTED);
    expect(scrubFreeText('0470&nbsp12&NegativeThickSpace;34&#x2011;56')).toBe(REDACTED);
  });

  it('leaves unknown and inherited names alone', () => {
    expect(scrubFreeText('&toString; &constructor; &eacute; &#0; 0470')).toBe('&toString; &constructor; &eacute; &#0; 0470');
  });

  it('returns a text with contact data as read, so no hidden form survives', () => {
    expect(scrubFreeText('Tom &amp; Jerry for vic\u200btim＠example.com')).toBe(`Tom & Jerry for ${REDACTED}`);
  });
});

describe('attacks of our own', () => {
  it.each([
    ['an address split by a zero-width joiner and a word joiner', 'vic\u200dtim@exam\u2060ple.com', REDACTED],
    ['a bidi override inside the domain', 'victim@exa\u202emple.com', REDACTED],
    ['an address in mathematical letters', '\u{1d42f}\u{1d422}\u{1d41c}@example.com', REDACTED],
    ['a phone in superscript digits', 'call \u2070\u2074\u2077\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076', `call ${REDACTED}`],
    ['a phone split by non-breaking and thin spaces', '0470\u00a012\u200934\u202f56', REDACTED],
    ['a phone written with references', '0470&nbsp;12&#32;34&thinsp;56', REDACTED],
    ['an @ escaped as UTF-8 of its full-width form', 'victim%EF%BC%A0example.com', REDACTED],
    ['an escape that is no UTF-8 next to an ASCII one', 'victim%40example.com %FF', `${REDACTED} %FF`],
  ])('%s', (_name, raw, scrubbed) => {
    expect(scrubFreeText(raw)).toBe(scrubbed);
  });

  it('finds no e-mail address in an attribution id, which takes only its own shapes', () => {
    for (const value of ['victim@example.com', 'victim.example.com', 'victim%40example.com', 'victim＠example.com', 'E.C.P.victim@example.com']) {
      expect(isTtp(value) || isTtclid(value)).toBe(false);
    }
  });

  it('reads 100 KB hostile texts in linear time', () => {
    const size = 100 * 1024;
    const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length));
    const hostile = [
      fill('@'), fill('a@'), `a@${fill('b')}`, `${fill('a')}@b.cc`, fill('"') + '@x.com', `"${fill('a')}"@x.com`, fill('&#64;'), fill('&amp;'),
      fill('%25'), fill('%40'), fill('1 '), fill('1-'), fill('+1'), fill('\u200b'), fill('＠'), fill('a.') + '@', fill('@a.'), fill('\ufdfa'),
      fill('&#x'), fill('a"@'), fill('=/'), fill('0123456789abcdef-'),
    ];
    const started = Date.now();
    for (const text of hostile) {
      scrubFreeText(text);
      isContactDataReference(text);
      isTtp(text);
      isTtclid(`E.C.P.${text}`);
      scrubPageUrl(`https://shop.example/${encodeURIComponent(text.slice(0, 2000))}/${text.slice(0, 2000)}`);
    }
    // Linear work is milliseconds; one quadratic pattern would take minutes here.
    expect(Date.now() - started).toBeLessThan(5000);
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
