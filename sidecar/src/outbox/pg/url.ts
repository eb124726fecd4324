/**
 * OUTBOX_URL: where a PostgreSQL outbox lives. Its password never appears in a
 * message or a log line: every text about the URL goes through `redactOutboxUrl`.
 */

export const OUTBOX_URL_EXAMPLE = 'postgres://user:password@host:5432/database';

const SCHEMES = ['postgres:', 'postgresql:'];

/** What is wrong with an OUTBOX_URL, in words that never repeat it; undefined when it is usable. */
export function outboxUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected a URL such as ${OUTBOX_URL_EXAMPLE} (this one does not parse; its value is not repeated, it may hold a password)`;
  }
  if (!SCHEMES.includes(url.protocol)) return `expected a postgres:// or postgresql:// URL such as ${OUTBOX_URL_EXAMPLE} (the scheme is ${url.protocol.slice(0, 20)})`;
  if (!url.hostname && !url.searchParams.get('host')) return `expected a host, as in ${OUTBOX_URL_EXAMPLE}`;
  if (url.pathname.replace(/^\//, '') === '') return `expected a database name after the host, as in ${OUTBOX_URL_EXAMPLE}`;
  return undefined;
}

/** The URL with its password (and any password in the query) replaced by `***`: what messages and logs show. */
export function redactOutboxUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '(an OUTBOX_URL that does not parse)';
  }
  if (url.password) url.password = '***';
  if (url.searchParams.has('password')) url.searchParams.set('password', '***');
  return url.toString();
}

/** Host and database of the URL, for an error that says where it could not connect. */
export function outboxUrlTarget(value: string): { host: string; database: string } {
  const url = new URL(value);
  const host = url.hostname || url.searchParams.get('host') || '';
  return { host: url.port ? `${host}:${url.port}` : host, database: decodeURIComponent(url.pathname.replace(/^\//, '')) };
}
