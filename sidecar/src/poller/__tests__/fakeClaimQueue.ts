/** A row of one of Odoo's claim queues, as the fakes keep it. */
export interface FakeClaimRow {
  state: 'pending' | 'claimed' | 'sent' | 'failed' | 'skipped';
  claimer?: string;
  leaseUntil?: number;
}

/** The claim semantics of the queues' SQL (`FOR UPDATE SKIP LOCKED` + lease): due rows, now leased to the claimer. */
export function claimDue<Row extends FakeClaimRow>(rows: Row[], kwargs: Record<string, unknown>, now: number): Row[] {
  const due = rows.filter((r) => r.state === 'pending' || (r.state === 'claimed' && (r.leaseUntil ?? 0) < now)).slice(0, Number(kwargs.limit));
  for (const r of due) Object.assign(r, { state: 'claimed', claimer: kwargs.claimer, leaseUntil: now + Number(kwargs.lease_seconds) * 1000 });
  return due;
}

/** A report of outcomes, as Odoo takes it: only rows this claimer claimed, never a sent one (final); returns how many changed. */
export function settleClaimed<Row extends FakeClaimRow, Key>(rows: Row[], keyOf: (row: Row) => Key, keys: Key[], kwargs: Record<string, unknown>): number {
  let changed = 0;
  for (const r of rows) {
    if (keys.includes(keyOf(r)) && r.claimer === kwargs.claimer && r.state !== 'pending' && r.state !== 'sent' && r.state !== kwargs.state) {
      r.state = kwargs.state as FakeClaimRow['state'];
      changed += 1;
    }
  }
  return changed;
}
