import pino from 'pino';
import { loadConfig } from '../../../config';
import { createSidecar } from '../../../server';
import { outboxLocation } from '../../configuredOutbox';

const URL_WITH_SECRET = 'postgres://outbox:s3cret-pw@db.internal:5433/tiktok_outbox';

describe('the engine the configuration chooses', () => {
  it('never falls back to a SQLite file when OUTBOX_URL names a PostgreSQL outbox that was not opened', () => {
    expect(() => createSidecar(loadConfig({ OUTBOX_URL: URL_WITH_SECRET }), { log: pino({ level: 'silent' }) })).toThrow(
      'OUTBOX_URL is set: open the PostgreSQL outbox first (openPgOutbox) and pass it as parts.outbox',
    );
  });

  it('says where the outbox is without the password', () => {
    expect(outboxLocation(loadConfig({ OUTBOX_URL: URL_WITH_SECRET }))).toBe('postgres://outbox:***@db.internal:5433/tiktok_outbox');
    expect(outboxLocation(loadConfig({ OUTBOX_PATH: '/var/lib/sidecar/outbox.sqlite' }))).toBe('/var/lib/sidecar/outbox.sqlite');
  });
});
