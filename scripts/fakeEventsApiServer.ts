/**
 * Runs the fake TikTok Events API v1.3 on its own, for benchmarks and manual runs:
 *
 *   npx ts-node --transpile-only scripts/fakeEventsApiServer.ts --port 9555 \
 *     [--host 127.0.0.1] [--fault-rate 0.3] [--fault-kinds rate_limit,server_error,slow,drop] \
 *     [--slow-ms 2000] [--seed 1] [--max-age-days 7] [--token PIXEL=TOKEN ...] [--interval 5] [--full-rows]
 *     [--sticky-fault invalid_param] [--max-rows 25] [--partial-rejects]
 *
 * `--sticky-fault` fails every request with that kind (40002 to every call, an
 * expired token, an HTML 404...); `--max-rows` answers 413 (HTML) to bodies with
 * more rows; `--partial-rejects` answers refused rows with 20001 per event.
 * `POST /_fake/faults {"sticky": null, "maxRows": null}` lifts both at run time.
 *
 * Point the sidecar's Events API base URL at the printed address. Every few seconds
 * it prints one summary line; `GET /_fake/stats` returns the same figures as JSON.
 */
import { FAULT_KINDS, FakeEventsApiOptions, FaultKind, startFakeEventsApi, summarize } from '../tests/support/fakeEventsApi';

interface CliOptions {
  api: FakeEventsApiOptions;
  intervalSeconds: number;
}

const USAGE =
  'usage: fakeEventsApiServer.ts [--port N] [--host H] [--fault-rate 0..1] [--fault-kinds k1,k2] [--slow-ms N] ' +
  '[--seed N] [--max-age-days N] [--token PIXEL=TOKEN]... [--interval SECONDS] [--full-rows] ' +
  '[--sticky-fault KIND] [--max-rows N] [--partial-rejects]';

function parseNumber(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} needs a number`);
  return n;
}

function parseFaultKinds(value: string | undefined): FaultKind[] {
  const kinds = (value ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (!kinds.length || unknown.length) throw new Error(`--fault-kinds takes a comma list of: ${FAULT_KINDS.join(', ')}`);
  return kinds as FaultKind[];
}

export function parseArgs(argv: string[]): CliOptions {
  // Benchmarks run for minutes: by default keep only the ids of what was delivered.
  const api: FakeEventsApiOptions = { retainRows: 'ids' };
  let intervalSeconds = 5;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--port':
        api.port = parseNumber(flag, value);
        break;
      case '--host':
        if (!value) throw new Error('--host needs an address');
        api.host = value;
        break;
      case '--fault-rate':
        api.faultRate = parseNumber(flag, value);
        break;
      case '--fault-kinds':
        api.faultKinds = parseFaultKinds(value);
        break;
      case '--slow-ms':
        api.slowMs = parseNumber(flag, value);
        break;
      case '--seed':
        api.seed = parseNumber(flag, value);
        break;
      case '--max-age-days':
        api.maxEventAgeDays = parseNumber(flag, value);
        break;
      case '--token': {
        const [pixel, token] = (value ?? '').split('=', 2);
        if (!pixel || !token) throw new Error('--token takes PIXEL=TOKEN');
        api.tokens = { ...api.tokens, [pixel]: token };
        break;
      }
      case '--sticky-fault':
        if (!value || !(FAULT_KINDS as readonly string[]).includes(value)) throw new Error(`--sticky-fault takes one of: ${FAULT_KINDS.join(', ')}`);
        api.stickyFault = value as FaultKind;
        break;
      case '--max-rows': {
        const rows = parseNumber(flag, value);
        if (!Number.isInteger(rows) || rows < 1) throw new Error('--max-rows needs a whole number of at least 1');
        api.maxRows = rows;
        break;
      }
      case '--partial-rejects':
        // Flag without a value.
        api.rejectMode = 'partial';
        continue;
      case '--full-rows':
        // Flag without a value: keep whole rows (GET /_fake/delivered then shows payloads).
        api.retainRows = 'full';
        continue;
      case '--interval':
        intervalSeconds = parseNumber(flag, value);
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        return process.exit(0);
      default:
        throw new Error(`unknown argument ${flag}\n${USAGE}`);
    }
    i++;
  }
  return { api, intervalSeconds };
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const api = await startFakeEventsApi(options.api);
  console.log(
    `fake TikTok Events API listening: ${api.baseUrl}/v1.3/event/track/ ` +
      `(fault rate ${options.api.faultRate ?? 0}${options.api.stickyFault ? `, every request: ${options.api.stickyFault}` : ''}` +
      `${options.api.maxRows ? `, 413 above ${options.api.maxRows} rows` : ''}, stats at ${api.baseUrl.replace(/\/open_api$/, '/_fake/stats')})`,
  );

  let lastRequests = 0;
  let lastRows = 0;
  const timer = setInterval(() => {
    const s = summarize(api);
    const perSecond = (n: number): string => (n / options.intervalSeconds).toFixed(1);
    const faults = Object.entries(s.faults).map(([k, v]) => `${k}=${v}`).join(',') || 'none';
    console.log(
      `${new Date().toISOString()} requests=${s.requests} (${perSecond(s.requests - lastRequests)}/s) ` +
        `delivered=${s.deliveredRows} (${perSecond(s.deliveredRows - lastRows)}/s) unique=${s.uniqueEvents} ` +
        `duplicates=${s.duplicateRows} rows/request=${s.rowsPerAcceptedRequest} faults=${faults}`,
    );
    lastRequests = s.requests;
    lastRows = s.deliveredRows;
  }, options.intervalSeconds * 1000);

  const stop = (): void => {
    clearInterval(timer);
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  void main();
}
