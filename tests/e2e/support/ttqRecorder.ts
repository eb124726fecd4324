/**
 * A local stand-in for TikTok's events.js. analytics.tiktok.com is out of reach
 * in tests (and must never be contacted by them): every request to it is routed
 * here. The stand-in replays the calls the inline base code queued before it
 * loaded — the page-wide `ttq` array, then each pixel's own queue
 * (`ttq._i[pixelId]`, where `ttq.instance(pixelId).track(...)` queues) — then
 * replaces each `ttq` method, and `ttq.instance(pixelId)`, with recorders.
 * Calls are kept in sessionStorage so that a whole walk across several pages
 * of one tab can be read back at the end.
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface TtqCall {
  method: string;
  args: unknown[];
  /**
   * The pixel the call was addressed to: its id for a `ttq.instance(id)` call,
   * else the pixel code of the events.js that recorded it (its `sdkid`).
   */
  pixel: string | null;
  url: string;
}

export const TTQ_STORAGE_KEY = '__e2e_ttq_calls';

/** Source of the stand-in. Plain ES5: it runs as a classic script. */
export const EVENTS_JS_STAND_IN = `(function () {
  var w = window;
  var name = w.TiktokAnalyticsObject || 'ttq';
  var ttq = w[name];
  if (!ttq || ttq.__e2eRecorder) return;
  var src = (document.currentScript && document.currentScript.src) || '';
  var match = /[?&]sdkid=([^&]+)/.exec(src);
  var sdkid = match ? decodeURIComponent(match[1]) : null;
  var KEY = ${JSON.stringify(TTQ_STORAGE_KEY)};
  var slice = Array.prototype.slice;
  w.__ttqCalls = w.__ttqCalls || [];
  function record(method, args, pixel) {
    var call;
    try {
      call = { method: method, args: JSON.parse(JSON.stringify(args)), pixel: pixel, url: location.href };
    } catch (e) {
      call = { method: method, args: [String(args)], pixel: pixel, url: location.href };
    }
    w.__ttqCalls.push(call);
    try {
      var stored = JSON.parse(sessionStorage.getItem(KEY) || '[]');
      stored.push(call);
      sessionStorage.setItem(KEY, JSON.stringify(stored));
    } catch (e) { /* storage full or blocked: __ttqCalls still has it */ }
  }
  function take(queue, pixel) {
    var calls = [];
    for (var i = 0; i < queue.length; i++) calls.push({ call: queue[i], pixel: pixel });
    queue.length = 0;
    return calls;
  }
  var queued = take(ttq, sdkid);
  var perPixel = ttq._i || {};
  for (var id in perPixel) {
    if (Object.prototype.hasOwnProperty.call(perPixel, id)) queued = queued.concat(take(perPixel[id], id));
  }
  var methods = (ttq.methods || []).concat(['load']);
  methods.forEach(function (m) {
    ttq[m] = function () { record(m, slice.call(arguments), sdkid); return ttq; };
  });
  var instances = {};
  ttq.instance = function (pixel) {
    if (!instances[pixel]) {
      var one = {};
      methods.forEach(function (m) {
        one[m] = function () { record(m, slice.call(arguments), pixel); return one; };
      });
      instances[pixel] = one;
    }
    return instances[pixel];
  };
  ttq.__e2eRecorder = true;
  queued.forEach(function (q) { record(q.call[0], slice.call(q.call, 1), q.pixel); });
})();`;

/** Routes analytics.tiktok.com to the stand-in and returns the list of URLs requested there. */
export async function routeTikTok(context: BrowserContext): Promise<string[]> {
  const requested: string[] = [];
  await context.route(/^https?:\/\/([a-z0-9-]+\.)*tiktok\.com\//, async (route) => {
    requested.push(route.request().url());
    const isEventsJs = /\/i18n\/pixel\/events\.js/.test(route.request().url());
    await route.fulfill({
      status: 200,
      contentType: isEventsJs ? 'application/javascript' : 'text/plain',
      body: isEventsJs ? EVENTS_JS_STAND_IN : '',
    });
  });
  return requested;
}

/** Every `ttq` call recorded in this tab so far (all pages of its origin). */
export async function ttqCalls(page: Page): Promise<TtqCall[]> {
  return page.evaluate((key) => {
    try {
      return JSON.parse(sessionStorage.getItem(key) || '[]');
    } catch {
      return [];
    }
  }, TTQ_STORAGE_KEY);
}

/** `track(name, props, {event_id, pixel_code})` calls, flattened. */
export interface TrackCall {
  name: string;
  properties: Record<string, any>;
  eventId: string;
  pixel: string | null;
  /** The `pixel_code` of the call's options: the one pixel that may receive it. */
  pixelCode: string | null;
  url: string;
}

export function trackCalls(calls: TtqCall[]): TrackCall[] {
  return calls
    .filter((c) => c.method === 'track')
    .map((c) => {
      const options = c.args[2] as { event_id?: string; pixel_code?: string } | undefined;
      return {
        name: String(c.args[0]),
        properties: (c.args[1] ?? {}) as Record<string, any>,
        eventId: String(options?.event_id ?? ''),
        pixel: c.pixel,
        pixelCode: options?.pixel_code ?? null,
        url: c.url,
      };
    });
}

export const SOURCE_STORAGE_KEY = '__e2e_ttq_source';

/**
 * An init script that records each `track` on a pixel instance at the moment
 * the page makes it, before events.js has loaded: a page left within a
 * second may never load events.js, and what its scripts tracked still counts
 * as the visit's browser events. It stands in front of `ttq.instance`, which
 * the inline base code and then events.js (or its stand-in) define, and
 * forwards every call to whichever is current. Plain ES5.
 */
export const SOURCE_RECORDER = `(function () {
  var KEY = ${JSON.stringify(SOURCE_STORAGE_KEY)};
  var queue = [];
  var current;
  function record(pixel, args) {
    try {
      var stored = JSON.parse(sessionStorage.getItem(KEY) || '[]');
      stored.push({ method: 'track', args: JSON.parse(JSON.stringify(args)), pixel: pixel, url: location.href });
      sessionStorage.setItem(KEY, JSON.stringify(stored));
    } catch (e) { /* the visit's record is incomplete: the test says so by what it misses */ }
  }
  function wrap(one, pixel) {
    var front = {};
    for (var name in one) {
      if (typeof one[name] === 'function') front[name] = (function (method) {
        return function () {
          if (method === 'track') record(pixel, Array.prototype.slice.call(arguments));
          return one[method].apply(one, arguments);
        };
      })(name);
    }
    return front;
  }
  Object.defineProperty(queue, 'instance', {
    configurable: true,
    get: function () { return current && function (pixel) { return wrap(current.apply(this, arguments), pixel); }; },
    set: function (fn) { current = fn; },
  });
  window.ttq = queue;
})();`;

/** Every `track` the pages of this tab made, recorded at the source (see SOURCE_RECORDER). */
export async function sourceTrackCalls(page: Page): Promise<TrackCall[]> {
  const calls = await page.evaluate((key) => {
    try {
      return JSON.parse(sessionStorage.getItem(key) || '[]');
    } catch {
      return [];
    }
  }, SOURCE_STORAGE_KEY);
  return trackCalls(calls as TtqCall[]);
}
