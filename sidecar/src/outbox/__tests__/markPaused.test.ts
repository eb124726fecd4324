import { SqliteOutbox } from '../outbox';

const LANE = { pixelId: 'CABCDEFGH12345678', testEventCode: '' };

describe('SqliteEventQueue.markPaused', () => {
  it('puts claimed rows back to pending at the given time without counting the claim as an attempt', () => {
    const outbox = new SqliteOutbox(':memory:');
    try {
      outbox.immediate.events.enqueue(
        ['a', 'b'].map((eventId) => ({ ...LANE, event: 'AddToCart', eventId, source: 'browser' as const, row: { event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000 } })),
        1000,
      );
      const claimed = outbox.immediate.events.claim(LANE, 1000, 10);
      expect(claimed.map((r) => r.attempts)).toEqual([1, 1]);
      outbox.immediate.events.markPaused([claimed[0].id], 5000, 'lane paused (token_refused)');
      expect(outbox.immediate.events.counts()).toMatchObject({ pending: 1, in_flight: 1 });
      expect(outbox.immediate.events.claim(LANE, 4999, 10)).toEqual([]);
      expect(outbox.immediate.events.claim(LANE, 5000, 10).map((r) => [r.eventId, r.attempts])).toEqual([['a', 1]]);
      // Only rows in flight: a delivered row stays delivered.
      outbox.immediate.events.markDelivered([claimed[1].id], 6000);
      outbox.immediate.events.markPaused([claimed[1].id], 7000, 'x');
      expect(outbox.immediate.events.counts()).toMatchObject({ delivered: 1 });
    } finally {
      void outbox.close();
    }
  });
});
