import { parseArgs } from '../../../scripts/fakeEventsApiServer';

describe('fakeEventsApiServer CLI arguments', () => {
  it('maps flags onto the fake options, keeping only ids by default', () => {
    const parsed = parseArgs([
      '--port', '9555', '--fault-rate', '0.3', '--fault-kinds', 'rate_limit,drop', '--slow-ms', '1500',
      '--seed', '9', '--max-age-days', '28', '--token', 'PIX1=tok1', '--token', 'PIX2=tok2', '--interval', '2',
    ]);
    expect(parsed).toEqual({
      intervalSeconds: 2,
      api: {
        retainRows: 'ids',
        port: 9555,
        faultRate: 0.3,
        faultKinds: ['rate_limit', 'drop'],
        slowMs: 1500,
        seed: 9,
        maxEventAgeDays: 28,
        tokens: { PIX1: 'tok1', PIX2: 'tok2' },
      },
    });
    expect(parseArgs(['--full-rows', '--port', '1']).api).toMatchObject({ retainRows: 'full', port: 1 });
    expect(parseArgs(['--sticky-fault', 'invalid_param', '--max-rows', '25', '--partial-rejects']).api).toMatchObject({
      stickyFault: 'invalid_param',
      maxRows: 25,
      rejectMode: 'partial',
    });
  });

  it.each([
    [['--port', 'abc'], /--port needs a number/],
    [['--fault-kinds', 'rate_limit,teapot'], /--fault-kinds takes a comma list/],
    [['--token', 'nopixel'], /PIXEL=TOKEN/],
    [['--verbose'], /unknown argument --verbose/],
    [['--sticky-fault', 'invalid_param,drop'], /--sticky-fault takes one of/],
    [['--sticky-fault'], /--sticky-fault takes one of/],
    [['--max-rows', '0'], /--max-rows needs a whole number of at least 1/],
    [['--max-rows', '2.5'], /--max-rows needs a whole number/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
