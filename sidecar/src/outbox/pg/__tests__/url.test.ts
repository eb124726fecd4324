import { outboxUrlTarget, redactOutboxUrl } from '../url';

describe('redactOutboxUrl', () => {
  it('hides the password of the user part and of the query, and keeps the rest to find the database', () => {
    expect(redactOutboxUrl('postgres://outbox:s3cret-pw@db.internal:5433/tiktok_outbox?sslmode=require')).toBe(
      'postgres://outbox:***@db.internal:5433/tiktok_outbox?sslmode=require',
    );
    expect(redactOutboxUrl('postgresql://db.internal/outbox?user=outbox&password=s3cret-pw')).toBe('postgresql://db.internal/outbox?user=outbox&password=***');
    expect(redactOutboxUrl('postgres://outbox@db.internal/outbox')).toBe('postgres://outbox@db.internal/outbox');
    expect(redactOutboxUrl('postgres://outbox:s3cret pw@')).not.toContain('s3cret');
  });

  it('names the host and the database', () => {
    expect(outboxUrlTarget('postgres://outbox:s3cret-pw@db.internal:5433/tiktok%20outbox')).toEqual({ host: 'db.internal:5433', database: 'tiktok outbox' });
  });
});
