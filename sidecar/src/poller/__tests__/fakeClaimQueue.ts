import type { OdooCallParams, OdooTransport } from '../../odoo/types';

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

/** What a fake Odoo records and how it fails: every call, Odoo down, methods that fail while the others answer. */
export interface FakeOdooState {
  calls: { method: string; kwargs?: Record<string, unknown> }[];
  down: boolean;
  failing?: Set<string>;
}

/** A JSON-2 transport answering `methods` (by `model.method`) from memory: a test double of the RPC edge. */
export function fakeTransport(fake: FakeOdooState, methods: Record<string, (kwargs: Record<string, unknown>) => unknown>): OdooTransport {
  return {
    kind: 'json2',
    call: async <T>(model: string, method: string, params?: OdooCallParams): Promise<T> => {
      fake.calls.push({ method, kwargs: params?.kwargs });
      if (fake.down) throw Object.assign(new Error('Odoo is unreachable'), { retryable: true });
      if (fake.failing?.has(method)) throw new Error(`${model}.${method}() failed`);
      const answer = methods[`${model}.${method}`];
      if (!answer) throw new Error(`unexpected method ${model}.${method}`);
      return answer(params!.kwargs!) as T;
    },
  };
}
