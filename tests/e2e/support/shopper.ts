/**
 * A shopper: one browser context (its own cookies and sessionStorage) with
 * TikTok routed to the recording stand-in, every relay request to the sidecar
 * captured, and every page visited checked for leaks as it is reached.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { PageConfig } from '../../../frontend/src/core/config';
import { routeTikTok, SOURCE_RECORDER, sourceTrackCalls, trackCalls, ttqCalls, type TrackCall, type TtqCall } from './ttqRecorder';
import { DESKTOP_UA, type Stack } from './stack';

export interface RelayRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface VisitedPage {
  url: string;
  config?: PageConfig;
  /** Full HTML of the page as rendered after the bundle ran. */
  html: string;
  /** What the module injected: the config blob and the inline pixel code. */
  injected: string;
  /** The debug panel's text, when shown. */
  panel: string;
}

export interface Shopper {
  context: BrowserContext;
  page: Page;
  /** URLs requested from any tiktok.com host (answered by the stand-in). */
  tiktokRequests: string[];
  relayRequests: RelayRequest[];
  visited: VisitedPage[];
  /** Origin this shopper browses (website 1 by default). */
  origin: string;
  /** Navigate, wait for the lazy bundle to run, and record the page. */
  visit(pathOrUrl: string): Promise<VisitedPage>;
  /** Record the page the tab is on now (after a click that navigated). */
  snapshot(): Promise<VisitedPage>;
  ttq(): Promise<TtqCall[]>;
  tracks(): Promise<TrackCall[]>;
  /** With `recordAtSource`: every track the pages made, also those of pages left before events.js loaded. */
  sourceTracks(): Promise<TrackCall[]>;
  close(): Promise<void>;
}

export interface ShopperOptions {
  userAgent?: string;
  extraHeaders?: Record<string, string>;
  origin?: string;
  /** Record each `track` when the page makes it (ttqRecorder.ts SOURCE_RECORDER). */
  recordAtSource?: boolean;
}

/** A fresh database compiles its frontend assets on the first page, slower on a busy machine. */
export const LAZY_ASSETS_TIMEOUT_MS = 120_000;

/** The bundle loads after window.load; its interactions then run in a tick or two. */
export async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('load');
  // Odoo marks the body until its lazy assets ran (clicks meanwhile are held back);
  // a database's first pages wait for the assets to be compiled.
  await page.waitForFunction(() => !document.body?.classList.contains('o_lazy_js_waiting'), undefined, { timeout: LAZY_ASSETS_TIMEOUT_MS });
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.waitForTimeout(300);
}

export async function newShopper(stack: Stack, options: ShopperOptions = {}): Promise<Shopper> {
  const origin = options.origin ?? stack.baseUrl;
  const context = await stack.browser.newContext({
    baseURL: origin,
    userAgent: options.userAgent ?? DESKTOP_UA,
    extraHTTPHeaders: options.extraHeaders,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
  });
  const tiktokRequests = await routeTikTok(context);
  if (options.recordAtSource) await context.addInitScript(SOURCE_RECORDER);
  const relayRequests: RelayRequest[] = [];
  context.on('request', (request) => {
    if (request.url().startsWith(stack.relayUrl) && request.method() === 'POST') {
      relayRequests.push({ url: request.url(), headers: request.headers(), body: request.postData() ?? '' });
    }
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const visited: VisitedPage[] = [];

  const snapshot = async (): Promise<VisitedPage> => {
    await settle(page);
    const data = await page.evaluate(() => {
      const configEl = document.getElementById('tiktok-events-config');
      const baseEl = document.getElementById('tiktok-pixel-base');
      const panelEl = document.querySelector('.o_tiktok_pixel_helper');
      return {
        configText: configEl?.textContent ?? '',
        injected: (configEl?.outerHTML ?? '') + (baseEl?.outerHTML ?? ''),
        panel: panelEl?.textContent ?? '',
      };
    });
    const record: VisitedPage = {
      url: page.url(),
      config: data.configText ? (JSON.parse(data.configText) as PageConfig) : undefined,
      html: await page.content(),
      injected: data.injected,
      panel: data.panel,
    };
    visited.push(record);
    return record;
  };

  return {
    context,
    page,
    tiktokRequests,
    relayRequests,
    visited,
    origin,
    async visit(pathOrUrl) {
      await page.goto(pathOrUrl);
      return snapshot();
    },
    snapshot,
    ttq: () => ttqCalls(page),
    tracks: async () => trackCalls(await ttqCalls(page)),
    sourceTracks: () => sourceTrackCalls(page),
    close: () => context.close(),
  };
}

/** Parsed relay events (a request body is one event or an array). */
export function relayedEvents(requests: RelayRequest[]): Array<Record<string, any>> {
  return requests.flatMap((r) => {
    try {
      const parsed = JSON.parse(r.body) as unknown;
      return (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, any>>;
    } catch {
      return [];
    }
  });
}
