import type { CanonicalEvent } from '../eventNames';
import type { DetectorContext } from '../context';
import { hashContact, type MatchKeys } from '../hashing';
import { readJson, writeJson, STORAGE_PREFIX } from '../storage';

/** Which TikTok event a website form's target model stands for. */
const EVENT_BY_MODEL: Record<string, CanonicalEvent> = {
  'mail.mail': 'Contact',
  'crm.lead': 'SubmitForm',
  'hr.applicant': 'SubmitApplication',
  'mailing.contact': 'Subscribe',
};

export function formEvent(model: string | undefined): CanonicalEvent | undefined {
  return model ? EVENT_BY_MODEL[model] : undefined;
}

const EMAIL_FIELDS = ['email_from', 'email'];
const PHONE_FIELDS = ['phone', 'partner_phone', 'mobile'];
/** Where each form names the person: a lead's `name` is its subject and its `partner_name` the company. */
const NAME_FIELD: Record<string, string> = {
  'mail.mail': 'name',
  'crm.lead': 'contact_name',
  'hr.applicant': 'partner_name',
  'mailing.contact': 'name',
};

function fieldValue(form: HTMLFormElement, names: string[]): string | undefined {
  for (const name of names) {
    const value = form.querySelector<HTMLInputElement>(`[name="${name}"]`)?.value?.trim();
    if (value) return value;
  }
  return undefined;
}

/** A submitted form waiting for Odoo to say it succeeded (possibly on the next page). */
export interface PendingForm {
  event: CanonicalEvent;
  model: string;
  user: MatchKeys;
  successPage?: string;
  at: number;
}

const PENDING_FORM_KEY = STORAGE_PREFIX + 'pending_form';
const PENDING_FORM_TTL_MS = 10 * 60_000;
const LANDING_PATH_LANG = /^\/[a-z]{2}(?:_[A-Za-z]{2,4})?(?=\/)/;

function pathOf(url: string | undefined): string | undefined {
  if (!url || url.startsWith('#')) return undefined;
  try {
    return new URL(url, 'http://x').pathname.replace(/\/$/, '') || '/';
  } catch {
    return undefined;
  }
}

/**
 * Submit of a `.s_website_form` form: hash its e-mail/phone now (the values
 * are gone after Odoo resets the form) and park the event until success.
 */
export async function rememberWebsiteForm(ctx: DetectorContext, form: HTMLFormElement): Promise<PendingForm | undefined> {
  const model = form.dataset.model_name;
  const event = formEvent(model);
  if (!event || !model) return undefined;
  // Names and addresses only where the merchant chose to share them.
  const person =
    ctx.tracker.config.match_keys === 'contact_name_address'
      ? { name: fieldValue(form, [NAME_FIELD[model]]), zip: fieldValue(form, ['zip']), city: fieldValue(form, ['city']) }
      : undefined;
  const user = await hashContact(ctx.phone, fieldValue(form, EMAIL_FIELDS), fieldValue(form, PHONE_FIELDS), person);
  const pending: PendingForm = {
    event,
    model,
    user,
    successPage: form.dataset.successMode === 'redirect' || !form.dataset.successMode ? form.dataset.successPage : undefined,
    at: ctx.now(),
  };
  writeJson(ctx.store, PENDING_FORM_KEY, pending);
  return pending;
}

function firePending(ctx: DetectorContext, pending: PendingForm): void {
  writeJson(ctx.store, PENDING_FORM_KEY, undefined);
  ctx.tracker.track(pending.event, { description: pending.model }, { user: pending.user });
}

/** Odoo's in-page outcomes: a success status line, or the form hidden behind its end message. */
export function websiteFormOutcome(form: HTMLFormElement): 'success' | 'error' | undefined {
  const result = form.querySelector('#s_website_form_result, #o_website_form_result');
  if (result?.classList.contains('text-success')) return 'success';
  if (result?.classList.contains('text-danger')) return 'error';
  const endMessage = form.parentElement?.querySelector('.s_website_form_end_message');
  if (form.classList.contains('d-none') && endMessage && !endMessage.classList.contains('d-none')) return 'success';
  return undefined;
}

/**
 * Watches a submitted form for Odoo's in-page success or error. A redirect
 * success leaves the page; `trackFormLanding` finishes it on the next page.
 */
export function watchWebsiteForm(ctx: DetectorContext, form: HTMLFormElement, pending: Promise<PendingForm | undefined>): () => void {
  const view = form.ownerDocument.defaultView;
  const scope = form.parentElement ?? form;
  if (!view) return () => undefined;
  let settled = false;
  const observer = new view.MutationObserver(() => {
    const outcome = websiteFormOutcome(form);
    if (!outcome || settled) return;
    settled = true;
    observer.disconnect();
    void pending.then((record) => {
      if (!record) return;
      if (outcome === 'success') firePending(ctx, record);
      else writeJson(ctx.store, PENDING_FORM_KEY, undefined);
    });
  });
  observer.observe(scope, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}

/** Page load: the success page a website form redirected to. */
export function trackFormLanding(ctx: DetectorContext): void {
  const pending = readJson<PendingForm>(ctx.store, PENDING_FORM_KEY);
  if (!pending) return;
  if (ctx.now() - pending.at > PENDING_FORM_TTL_MS) {
    writeJson(ctx.store, PENDING_FORM_KEY, undefined);
    return;
  }
  const expected = pathOf(pending.successPage);
  const here = ctx.location.pathname.replace(/\/$/, '') || '/';
  if (expected && (here === expected || here.replace(LANDING_PATH_LANG, '') === expected)) firePending(ctx, pending);
}
