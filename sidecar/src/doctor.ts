import axios from 'axios';
import fs from 'node:fs';
import path from 'node:path';
import { runMode, type Env } from './config';
import { connectOdoo } from './odoo/connect';
import { parseWebsiteEntry } from './settings/odooAnswer';
import { settingsFromEnv } from './settings/static';
import type { WebsiteSettings } from './settings/types';
import { classifyResponse } from './tiktok/outcome';

export interface Finding {
  ok: boolean;
  check: string;
  detail: string;
}

/**
 * Walk the whole chain a merchant depends on and say, in plain words, what is
 * wrong: configuration, outbox, Odoo (address, database, key, module, access),
 * each website's settings, and each pixel's token at TikTok.
 */
export async function runDoctor(cfg: Env): Promise<Finding[]> {
  const findings: Finding[] = [{ ok: true, check: 'configuration', detail: `valid; mode ${runMode(cfg)}` }];
  findings.push(checkOutbox(cfg.OUTBOX_PATH));
  let websites: WebsiteSettings[] = settingsFromEnv(cfg);
  if (cfg.ODOO_URL) {
    const fromOdoo = await checkOdoo(cfg, findings);
    websites = fromOdoo ?? [];
  } else if (websites.length === 0) {
    findings.push({ ok: false, check: 'pixel', detail: 'no Odoo connection and no TIKTOK_PIXEL_ID/TIKTOK_ACCESS_TOKEN: nothing can be sent' });
  }
  for (const w of websites) findings.push(await checkToken(cfg, w));
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
 * Ask TikTok about the token without creating an event: an empty batch is refused
 * as an invalid parameter when the token is good, and as unauthorized when it is not.
 */
async function checkToken(cfg: Env, w: WebsiteSettings): Promise<Finding> {
  const check = `token of pixel ${w.pixelId}`;
  try {
    const res = await axios.post(
      `${cfg.TIKTOK_API_BASE_URL.replace(/\/+$/, '')}/v1.3/event/track/`,
      { event_source: 'web', event_source_id: w.pixelId, data: [] },
      { headers: { 'Access-Token': w.accessToken }, timeout: cfg.TIKTOK_TIMEOUT_MS, validateStatus: () => true },
    );
    const outcome = classifyResponse(res.status, res.data);
    if (outcome.kind === 'unauthorized') return { ok: false, check, detail: `TikTok refused the token (${outcome.code}): ${outcome.message}` };
    if (outcome.kind === 'retry') return { ok: false, check, detail: `TikTok did not answer usefully: ${outcome.reason}` };
    return { ok: true, check, detail: 'TikTok accepts the token' };
  } catch (err) {
    return { ok: false, check, detail: `TikTok unreachable: ${(err as Error).message}` };
  }
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}`).join('\n');
}
