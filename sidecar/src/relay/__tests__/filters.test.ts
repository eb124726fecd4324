import { HEADER_ORIGINS_KEPT, isPrefetch, rememberedHeaderOrigins, requestOrigin } from '../filters';

describe('relay filters', () => {
  it('sees a prefetch or prerender in any purpose header, in any case, repeated or not', () => {
    expect(isPrefetch({ 'sec-purpose': 'Prefetch;anonymous-client-ip' })).toBe(true);
    expect(isPrefetch({ purpose: 'prerender' })).toBe(true);
    expect(isPrefetch({ 'x-moz': 'PREFETCH' })).toBe(true);
    expect(isPrefetch({ 'x-purpose': ['nothing', 'preview'] })).toBe(true);
    expect(isPrefetch({ 'x-purpose': ['nothing', 'else'], 'user-agent': 'prefetch' })).toBe(false);
    expect(isPrefetch({})).toBe(false);
  });

  it('reads the same origin from a header seen before, and a new one as new, however many a forger sends', () => {
    for (let round = 0; round < 2; round += 1) {
      for (let i = 0; i < 600; i += 1) {
        expect(requestOrigin(`https://Shop-${i}.example:8443`, undefined)).toBe(`https://shop-${i}.example:8443`);
        expect(requestOrigin(`javascript://shop-${i}.example`, undefined)).toBeUndefined();
        expect(rememberedHeaderOrigins()).toBeLessThanOrEqual(HEADER_ORIGINS_KEPT);
      }
    }
    expect(requestOrigin('null', 'https://shop.example/cart?x=1')).toBe('https://shop.example');
    expect(requestOrigin(undefined, 'not a url')).toBeUndefined();
  });
});
