import { createStore, metricValue, nginxConfig, parseEngine } from '../chaos/cluster';
import { chaosTimeline, increaseBetween, intervalsWithSeveralRising, judge } from '../chaos/verdict';

describe('chaos verdict', () => {
  const delivered = (entries: Array<[string, number]>) => new Map(entries);
  const kept = (stranded: string[] = [], dead: string[] = []) => ({ stranded: new Set(stranded), dead: new Set(dead) });

  test('every accepted id delivered once passes', () => {
    const v = judge(['a', 'b'], delivered([['a', 1], ['b', 1]]), kept());
    expect(v).toMatchObject({ accepted: 2, delivered: 2, missing: [], lost: [], duplicateRows: 0, ok: true });
  });

  test('an accepted id the fake never received fails the run and is named', () => {
    const v = judge(['a', 'b', 'c', 'd'], delivered([['a', 1]]), kept(['b'], ['c']));
    expect(v.missing).toEqual(['b', 'c', 'd']);
    expect(v.stranded).toEqual(['b']);
    expect(v.dead).toEqual(['c']);
    expect(v.lost).toEqual(['d']);
    expect(v.ok).toBe(false);
  });

  test('ids waiting in the killed replica file are stranded, not lost', () => {
    const v = judge(['a', 'b'], delivered([['a', 1]]), kept(['b']));
    expect(v).toMatchObject({ stranded: ['b'], lost: [], ok: true });
  });

  test('ids parked as dead letters are kept in the outbox, not lost', () => {
    const v = judge(['a', 'b'], delivered([['a', 1]]), kept([], ['b']));
    expect(v).toMatchObject({ dead: ['b'], lost: [], ok: true });
  });

  test('duplicates are counted by extra rows and by ids', () => {
    const v = judge(['a', 'b'], delivered([['a', 3], ['b', 2]]), kept());
    expect(v).toMatchObject({ duplicateRows: 3, duplicateIds: 2, ok: true });
  });
});

describe('chaos timeline', () => {
  test('pause, kill during the pause, lift, restart, stop: in that order and inside the run', () => {
    const steps = chaosTimeline({ seconds: 150, pauseSeconds: 60 });
    expect(steps.map((s) => s.step)).toEqual(['pause_on', 'kill_replica_1', 'pause_off', 'stop_replica_2', 'stop_load']);
    const at = Object.fromEntries(steps.map((s) => [s.step, s.at]));
    expect(at.pause_off - at.pause_on).toBe(60);
    expect(at.stop_load).toBe(150);
  });

  test('a run too short for its pause is refused with the length it needs', () => {
    expect(() => chaosTimeline({ seconds: 60, pauseSeconds: 60 })).toThrow(/--seconds \(60\) must leave room after the pause.*at least 71/);
  });
});

describe('increaseBetween', () => {
  test('counts the rise inside the window from the last sample before it', () => {
    const samples = [
      { at: 0, value: 5 },
      { at: 10, value: 7 },
      { at: 20, value: 12 },
      { at: 30, value: 20 },
    ];
    expect(increaseBetween(samples, 5, 25)).toBe(7);
  });

  test('a process that restarted counts again from 0', () => {
    const samples = [
      { at: 0, value: 5 },
      { at: 10, value: 9 },
      { at: 20, value: 2 },
      { at: 30, value: 3 },
    ];
    expect(increaseBetween(samples, 5, 35)).toBe(4 + 2 + 1);
  });
});

describe('nginx configuration', () => {
  const base = { dir: '/tmp/x', listenPort: 8000, ports: [9001, 9002, 9003] };

  test('separate SQLite files: a relay POST already sent is never sent to a second replica', () => {
    const conf = nginxConfig({ ...base, retryPost: false });
    expect(conf).toMatch(/proxy_next_upstream error timeout;/);
    expect(conf).not.toContain('non_idempotent');
  });

  test('a shared outbox: a POST whose replica died is sent on (the event_id key absorbs a second copy)', () => {
    expect(nginxConfig({ ...base, retryPost: true })).toMatch(/proxy_next_upstream error timeout non_idempotent;/);
  });

  test('the engine decides: only the shared store retries a POST', () => {
    expect(createStore('sqlite', '/tmp/x').shared).toBe(false);
  });

  test('every path nginx writes is inside its directory, and each replica is an upstream', () => {
    const conf = nginxConfig({ ...base, retryPost: false });
    for (const line of conf.split('\n').filter((l) => /(_path|pid|error_log) /.test(l))) expect(line).toContain('/tmp/x/');
    for (const port of base.ports) expect(conf).toContain(`server 127.0.0.1:${port} `);
    expect(conf).toContain('listen 127.0.0.1:8000;');
  });
});

describe('metrics text', () => {
  const text = [
    '# HELP tiktok_outbox_events Events in the outbox, by state',
    'tiktok_outbox_events{state="pending"} 4',
    'tiktok_outbox_events{state="in_flight"} 1',
    'tiktok_outbox_events{state="delivered"} 90',
    'tiktok_api_requests_total{outcome="rejected"} 7',
    'tiktok_api_requests_total_extra{outcome="rejected"} 99',
    'process_cpu_seconds_total 1.25',
  ].join('\n');

  test('reads a sample by name and labels, 0 when absent', () => {
    expect(metricValue(text, 'tiktok_api_requests_total', { outcome: 'rejected' })).toBe(7);
    expect(metricValue(text, 'tiktok_api_requests_total', { outcome: 'delivered' })).toBe(0);
    expect(metricValue(text, 'process_cpu_seconds_total')).toBe(1.25);
    expect(metricValue(text, 'tiktok_outbox_events', { state: 'in_flight' })).toBe(1);
  });

  test('an unknown engine is refused with the choices', () => {
    expect(parseEngine(undefined)).toBe('sqlite');
    expect(() => parseEngine('mysql')).toThrow('--engine takes one of: sqlite, postgres (got "mysql")');
  });
});

describe('intervalsWithSeveralRising', () => {
  test('counts the intervals in which two or more processes counted, one at a time is none', () => {
    const one = [{ at: 0, value: 0 }, { at: 1000, value: 4 }, { at: 2000, value: 4 }, { at: 3000, value: 4 }];
    const other = [{ at: 5, value: 0 }, { at: 1005, value: 0 }, { at: 2005, value: 4 }, { at: 3005, value: 4 }];
    expect(intervalsWithSeveralRising(new Map([['a', one], ['b', other]]), 0, 4000, 1000)).toBe(0);
    const together = [{ at: 5, value: 0 }, { at: 1005, value: 1 }, { at: 2005, value: 1 }];
    expect(intervalsWithSeveralRising(new Map([['a', one], ['b', together]]), 0, 4000, 1000)).toBe(1);
  });

  test('a restarted process counting from 0 again is not a rise, one counting past 0 is', () => {
    const restarted = [{ at: 0, value: 7 }, { at: 1000, value: 0 }, { at: 2000, value: 2 }];
    const other = [{ at: 0, value: 0 }, { at: 1000, value: 3 }, { at: 2000, value: 3 }];
    expect(intervalsWithSeveralRising(new Map([['a', restarted], ['b', other]]), 0, 3000, 1000)).toBe(0);
    const alsoNow = [{ at: 0, value: 0 }, { at: 1000, value: 3 }, { at: 2000, value: 5 }];
    expect(intervalsWithSeveralRising(new Map([['a', restarted], ['b', alsoNow]]), 0, 3000, 1000)).toBe(1);
  });
});
