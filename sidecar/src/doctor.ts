import axios from 'axios';
import fs from 'node:fs';
import path from 'node:path';
import { runMode, type Env } from './config';
import { connectOdoo } from './odoo/connect';
import { outboxPool } from './outbox/pg/db';
import { inspectPgOutbox } from './outbox/pg/migrations';
import { outboxUrlTarget, redactOutboxUrl } from './outbox/pg/url';
import { parseWebsiteEntry } from './settings/odooAnswer';
import { settingsFromEnv } from './settings/static';
import type { WebsiteSettings } from './settings/types';
import { displayUrl, trackUrl } from './tiktok/client';
import { classifyResponse } from './tiktok/outcome';

export interface Finding {
  ok: boolean;
  check: string;
  detail: string;
}

/**
 * Walk the whole chain a merchant depends on and say, in plain words, what is
 * wrong: configuration, outbox, Odoo (address, database, key, module, access),
 * each website's settings, the Events API address, and each pixel's token at TikTok.
 */
export async function runDoctor(cfg: Env): Promise<Finding[]> {
  const findings: Finding[] = [{ ok: true, check: 'configuration', detail: `valid; mode ${runMode(cfg)}` }];
  findings.push(cfg.OUTBOX_URL ? await checkPgOutbox(cfg.OUTBOX_URL) : checkOutbox(cfg.OUTBOX_PATH));
  let websites: WebsiteSettings[] = settingsFromEnv(cfg);
  if (cfg.ODOO_URL) {
    const fromOdoo = await checkOdoo(cfg, findings);
    websites = fromOdoo ?? [];
  } else if (websites.length === 0) {
    findings.push({ ok: false, check: 'pixel', detail: 'no Odoo connection and no TIKTOK_PIXEL_ID/TIKTOK_ACCESS_TOKEN: nothing can be sent' });
  }
  if (websites.length > 0) {
    const address = await checkApiAddress(cfg);
    findings.push(address);
    // A wrong address answers every token the same way: saying so once is enough.
    if (address.ok) for (const w of websites) findings.push(await checkToken(cfg, w));
  }
  return findings;
}

function checkOutbox(file: string): Finding {
  try {
    const dir = path.dirname(path.resolve(file));
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return { ok: true, check: 'outbox', detail: `${path.resolve(file)} is writable` };
  } catch (err) {
    return { ok: false, check: 'outbox', detail: `cannot write next to ${file}: ${(err as Error).message}` };
  }
}

/** The PostgreSQL outbox, read only: reachable, the login taken, its schema this release's or one it upgrades. */
async function checkPgOutbox(url: string): Promise<Finding> {
  const { host, database } = outboxUrlTarget(url);
  const where = `PostgreSQL outbox (host ${host}, database ${database})`;
  const pool = outboxPool(url, 1, { connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  try {
    const { ok, detail } = await inspectPgOutbox(pool);
    return { ok, check: 'outbox', detail: `${where}: ${detail}` };
  } catch (err) {
    const password = new URL(url).password;
    const said = (err as Error).message;
    return { ok: false, check: 'outbox', detail: `cannot reach the ${where}: ${password ? said.split(password).join('***') : said} (${redactOutboxUrl(url)})` };
  } finally {
    await pool.end().catch(() => {});
  }
}

async function checkOdoo(cfg: Env, findings: Finding[]): Promise<WebsiteSettings[] | undefined> {
  let odoo;
  try {
    odoo = await connectOdoo({ url: cfg.ODOO_URL!, db: cfg.ODOO_DB, login: cfg.ODOO_LOGIN ?? '', apiKey: cfg.ODOO_API_KEY ?? '', transport: cfg.ODOO_TRANSPORT });
    findings.push({ ok: true, check: 'odoo', detail: `connected to Odoo ${odoo.serverVersion} over ${odoo.kind} as user #${odoo.uid}` });
  } catch (err) {
    findings.push({ ok: false, check: 'odoo', detail: (err as Error).message });
    return undefined;
  }
  try {
    const answer = await odoo.call<unknown[]>('website', 'tiktok_sidecar_settings');
    const usable: WebsiteSettings[] = [];
    for (const entry of Array.isArray(answer) ? answer : []) {
      const parsed = parseWebsiteEntry(entry);
      if (parsed.kind === 'usable') {
        usable.push(parsed.settings);
        findings.push({ ok: true, check: `website ${parsed.settings.websiteId}`, detail: `"${parsed.settings.name}": pixel ${parsed.settings.pixelId}, domains ${parsed.settings.domains.join(', ') || '(none)'}` });
      } else {
        findings.push({ ok: false, check: `website ${parsed.websiteId ?? '?'}`, detail: `"${parsed.name}" is not tracked: ${parsed.reason}` });
      }
    }
    return usable;
  } catch (err) {
    findings.push({ ok: false, check: 'odoo module', detail: (err as Error).message });
    return undefined;
  } finally {
    odoo.close();
  }
}

/**
 * Is TIKTOK_API_BASE_URL the Events API? A request without a token gets a TikTok
 * answer (a JSON code) there; a wrong path gets a 404 or an HTML page, a wrong
 * host no answer at all. None of those is a token problem.
 */
async function checkApiAddress(cfg: Env): Promise<Finding> {
  const check = 'Events API address';
  const url = trackUrl(cfg.TIKTOK_API_BASE_URL);
  const shown = displayUrl(url);
  try {
    const res = await axios.post(url, { event_source: 'web', event_source_id: '', data: [] }, { timeout: cfg.TIKTOK_TIMEOUT_MS, validateStatus: () => true, maxRedirects: 0 });
    const outcome = classifyResponse(res.status, res.data, shown);
    if (outcome.kind === 'request_problem' && (outcome.problem === 'wrong_base_url' || outcome.problem === 'not_tiktok_answer')) {
      const what = outcome.problem === 'wrong_base_url' ? 'is not the Events API' : 'did not answer like the Events API';
      return { ok: false, check, detail: `${shown} ${what} (${outcome.message}); check TIKTOK_API_BASE_URL (normally https://business-api.tiktok.com/open_api)` };
    }
    if (outcome.kind === 'retry') return { ok: false, check, detail: `${shown} answered ${outcome.detail}: TikTok or a proxy is failing, try again later` };
    return { ok: true, check, detail: `${shown} answers like the Events API` };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { ok: false, check, detail: `cannot reach ${shown} (${e.code ?? e.message ?? String(err)}); check TIKTOK_API_BASE_URL and that this host may connect to it` };
  }
}

/**
 * Ask TikTok about the token without creating an event: an empty batch is refused
 * as an invalid parameter when the token is good, and as unauthorized when it is not.
 */
async function checkToken(cfg: Env, w: WebsiteSettings): Promise<Finding> {
  const check = `token of pixel ${w.pixelId}`;
  const url = trackUrl(cfg.TIKTOK_API_BASE_URL);
  try {
    const res = await axios.post(
      url,
      { event_source: 'web', event_source_id: w.pixelId, data: [] },
      { headers: { 'Access-Token': w.accessToken }, timeout: cfg.TIKTOK_TIMEOUT_MS, validateStatus: () => true, maxRedirects: 0 },
    );
    const outcome = classifyResponse(res.status, res.data, displayUrl(url));
    if (outcome.kind === 'request_problem' && outcome.problem === 'token_refused') return { ok: false, check, detail: `TikTok refused the token (${outcome.code}): ${outcome.message}` };
    if (outcome.kind === 'request_problem' && outcome.problem !== 'request_refused') return { ok: false, check, detail: `not checked: ${outcome.message}` };
    if (outcome.kind === 'retry') return { ok: false, check, detail: `TikTok did not answer usefully: ${outcome.cause} (${outcome.detail})` };
    return { ok: true, check, detail: 'TikTok accepts the token' };
  } catch (err) {
    return { ok: false, check, detail: `TikTok unreachable: ${(err as Error).message}` };
  }
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}`).join('\n');
}
