import { StaticSettings } from '../../settings/static';
import { website } from '../../../../tests/helpers/sidecar';
import { settingsOfLane } from '../../dispatcher/lanes';
import { isWebLane, readLane, sourceLaneId } from '../lane';

describe('lanes of event sources', () => {
  it('names a non-web lane by source, website and event set, and reads it back', () => {
    const id = sourceLaneId('crm', 2, '7300000000000000001');
    expect(id).toBe('crm:2:7300000000000000001');
    expect(readLane(id)).toEqual({ eventSource: 'crm', websiteId: 2, eventSourceId: '7300000000000000001' });
    expect(readLane(sourceLaneId('offline', 3, 'OFF_1-a'))).toEqual({ eventSource: 'offline', websiteId: 3, eventSourceId: 'OFF_1-a' });
    expect(isWebLane(id)).toBe(false);
  });

  it('reads a pixel code as a web lane, as the outbox always stored them', () => {
    expect(readLane('C4A1B2C3D4E5F6G7H8I9')).toEqual({ eventSource: 'web', eventSourceId: 'C4A1B2C3D4E5F6G7H8I9' });
    expect(isWebLane('C4A1B2C3D4E5F6G7H8I9')).toBe(true);
  });

  it.each([
    ['an event set id with a colon', () => sourceLaneId('crm', 1, '73:2')],
    ['an empty event set id', () => sourceLaneId('crm', 1, '')],
    ['a website id of 0', () => sourceLaneId('crm', 0, '73')],
  ])('refuses %s', (_label, make) => {
    expect(make).toThrow(/must be/);
  });

  it('sends a non-web lane with the token of the website it names, never a pixel\'s', () => {
    const settings = new StaticSettings([
      website({ websiteId: 1, pixelId: 'CPIXELONE00000000001', accessToken: 'token-one' }),
      website({ websiteId: 2, pixelId: 'CPIXELTWO00000000002', accessToken: 'token-two' }),
    ]);
    expect(settingsOfLane(settings, readLane('crm:2:7300000000000000001'))?.accessToken).toBe('token-two');
    expect(settingsOfLane(settings, readLane('CPIXELONE00000000001'))?.accessToken).toBe('token-one');
    expect(settingsOfLane(settings, readLane('crm:3:7300000000000000001'))).toBeUndefined();
  });
});
