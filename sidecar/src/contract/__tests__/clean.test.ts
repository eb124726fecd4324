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
});
