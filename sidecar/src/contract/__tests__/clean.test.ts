import { stripEmpty } from '../clean';

describe('stripEmpty', () => {
  it('removes empty strings, null, undefined, NaN, [] and {} at every depth', () => {
    const input = {
      a: '',
      b: null,
      c: undefined,
      d: [],
      e: {},
      f: { g: '  ', h: [null, ''], i: { j: {} } },
      k: NaN,
      keep: { value: 0, flag: false, name: 'Desk', list: [{ id: '1', empty: '' }] },
    };
    expect(stripEmpty(input)).toEqual({ keep: { value: 0, flag: false, name: 'Desk', list: [{ id: '1' }] } });
  });
  it('returns undefined when nothing is left', () => {
    expect(stripEmpty({ a: { b: [] } })).toBeUndefined();
  });
  it('keeps a "__proto__" key of parsed JSON as a plain key, never as the copy\'s prototype', () => {
    const cleaned = stripEmpty(JSON.parse('{"__proto__": {"polluted": "yes"}, "name": "Desk", "empty": ""}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(cleaned)).toBe(Object.prototype);
    expect(cleaned.polluted).toBeUndefined();
    expect(Object.keys(cleaned)).toEqual(['__proto__', 'name']);
    expect(JSON.stringify(cleaned)).toBe('{"__proto__":{"polluted":"yes"},"name":"Desk"}');
  });
});
