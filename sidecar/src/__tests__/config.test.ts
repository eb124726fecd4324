import { ConfigError, loadConfig } from '../config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('relay limits in the environment', () => {
  it('has defaults that let a shop in dong or rupiah through and stop absurd amounts', () => {
    const cfg = loadConfig({});
    expect(cfg).toMatchObject({
      RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: 600,
      RELAY_BODY_TIMEOUT_MS: 5000,
      RELAY_MAX_VALUE: 1_000_000_000,
      RELAY_MAX_PRICE: 1_000_000_000,
      RELAY_MAX_QUANTITY: 10_000,
      OUTBOX_MAX_WAITING_PER_PIXEL: 100_000,
    });
  });

  it('reads decimals and exponents for the ceilings', () => {
    expect(loadConfig({ RELAY_MAX_VALUE: '2500.5', RELAY_MAX_PRICE: '1e6', RELAY_MAX_QUANTITY: '50' })).toMatchObject({
      RELAY_MAX_VALUE: 2500.5,
      RELAY_MAX_PRICE: 1_000_000,
      RELAY_MAX_QUANTITY: 50,
    });
  });

  it.each([
    ['RELAY_MAX_VALUE', '0', /RELAY_MAX_VALUE: expected a number above 0/],
    ['RELAY_MAX_PRICE', 'lots', /RELAY_MAX_PRICE: expected a number/],
    ['RELAY_MAX_QUANTITY', 'Infinity', /RELAY_MAX_QUANTITY:/],
    ['RELAY_MAX_VALUE', '1e308', /RELAY_MAX_VALUE:/],
    ['RELAY_BODY_TIMEOUT_MS', '10', /RELAY_BODY_TIMEOUT_MS:/],
    ['OUTBOX_MAX_WAITING_PER_PIXEL', '-1', /OUTBOX_MAX_WAITING_PER_PIXEL:/],
    ['RELAY_RATE_LIMIT_EVENTS_PER_MINUTE', 'many', /RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: expected a number/],
  ])('refuses %s=%s with a line naming it', (name, value, message) => {
    expect(problems({ [name]: value }).join('\n')).toMatch(message);
  });

  it('refuses an events budget smaller than one full request, but allows 0 (off)', () => {
    expect(problems({ RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '10' })).toEqual([
      'RELAY_RATE_LIMIT_EVENTS_PER_MINUTE must be 0 (off) or at least 20, the events one request may carry',
    ]);
    expect(problems({ RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '0' })).toEqual([]);
    expect(problems({ RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '20' })).toEqual([]);
  });
});
