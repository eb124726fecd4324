import { ConfigError, loadConfig } from '../config';

describe('loadConfig: lane pauses', () => {
  it('pauses a lane 5 s at first, at most 5 min, by default', () => {
    expect(loadConfig({})).toMatchObject({ LANE_PAUSE_BASE_MS: 5000, LANE_PAUSE_MAX_MS: 300_000 });
    expect(loadConfig({ LANE_PAUSE_BASE_MS: '200', LANE_PAUSE_MAX_MS: '1000' })).toMatchObject({ LANE_PAUSE_BASE_MS: 200, LANE_PAUSE_MAX_MS: 1000 });
  });

  it.each([
    [{ LANE_PAUSE_BASE_MS: 'soon' }, /LANE_PAUSE_BASE_MS: expected a number \(got "soon"\)/],
    [{ LANE_PAUSE_BASE_MS: '10' }, /LANE_PAUSE_BASE_MS/],
    [{ LANE_PAUSE_BASE_MS: '60000', LANE_PAUSE_MAX_MS: '1000' }, /LANE_PAUSE_MAX_MS must be at least LANE_PAUSE_BASE_MS/],
    [{ UNAUTHORIZED_PAUSE_MS: '300000' }, /UNAUTHORIZED_PAUSE_MS is no longer read: use LANE_PAUSE_MAX_MS/],
  ])('refuses %j with a clear message', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
