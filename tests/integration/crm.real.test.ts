import { odooUnavailableReason } from '../../scripts/odooDev';
import { hashEmail, hashPhone } from '../../sidecar/src/tiktok/__tests__/nodeHash';
import type { FakeEventsApi } from '../support/fakeEventsApi';
import type { OdooShop } from '../helpers/odooShop';
import { exited } from '../helpers/process';
import { startRealStack, until, type RealStack } from '../helpers/realStack';

const unavailable = odooUnavailableReason();
if (unavailable) console.warn(`CRM events against real Odoo skipped: ${unavailable}`);
const describeWithOdoo = unavailable ? describe.skip : describe;

const PIXEL = 'CCRMPIXEL00000000001';
const EVENT_SET = '7300000000000000042';
const TOKEN = 'crm-access-token-0001';
const POLL_SECONDS = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface MovedLead {
  id: number;
  email: string;
  phone: string;
  countryCode: string;
  tiktokLeadId: string;
  /** Event id by TikTok lead stage, as Odoo derives them. */
  events: Record<string, string>;
}

describeWithOdoo('CRM lead stages from the pipeline, against real Odoo 19', () => {
  let stack: RealStack;
  let shop: OdooShop;
  let api: FakeEventsApi;

  beforeAll(async () => {
    // The website's one token sends its pixel and its CRM Event Set.
    stack = await startRealStack({ name: 'tt_crm', pixelId: PIXEL, token: TOKEN, eventSets: [EVENT_SET], pollSeconds: POLL_SECONDS });
    ({ shop, api } = stack);
    // Limited data use is the website's choice for every row sent with its token, CRM stages included.
    await shop.shellAsync(`website = env['website'].browse(1)\nwebsite.tiktok_crm_event_set_id = '${EVENT_SET}'\nwebsite.tiktok_limited_data_use = 'on'`);
  }, 15 * 60_000);

  afterAll(() => stack?.stop(), 120_000);

  const sidecar = (name: string) => stack.sidecar(name);

  /** Leads of a TikTok lead form, imported by an administrator (only they set the TikTok lead id), moved by a salesman New → Qualified → Proposition → Qualified → won. */
  async function moveLeads(count: number): Promise<MovedLead[]> {
    const out = await shop.shellAsync(`
import json
from odoo.tests import new_test_user
salesman = env['res.users'].search([('login', '=', 'tt_crm_salesman')]) or new_test_user(env, 'tt_crm_salesman', groups='sales_team.group_sale_salesman')
Lead = env['crm.lead'].with_user(env.ref('base.user_admin'))
stages = [env.ref('crm.stage_lead%d' % n) for n in (1, 2, 3)]
Queue = env['tiktok.source.event'].sudo()
country = env.ref('base.be')
result = []
for i in range(${count}):
    lead = Lead.create({'name': 'Office fit-out %d' % i, 'type': 'opportunity', 'user_id': salesman.id,
                        'email_from': 'Buyer%d@Example.com' % i, 'phone': '0470 12 34 %02d' % i, 'country_id': country.id,
                        'stage_id': stages[0].id, 'tiktok_lead_id': '74123456789%04d' % i})
    moved = lead.with_user(salesman)
    for stage in (stages[1], stages[2], stages[1]):
        moved.write({'stage_id': stage.id})
    moved.action_set_won()
    keys = {'Raw': 'stage:%d' % stages[0].id, 'Qualified': 'stage:%d' % stages[1].id, 'Converted': 'won'}
    result.append({'id': lead.id, 'email': lead.email_from, 'phone': lead.phone, 'countryCode': country.code,
                   'tiktokLeadId': lead.tiktok_lead_id,
                   'events': {name: Queue._source_event_id('crm', lead, key) for name, key in keys.items()},
                   'queued': Queue.search_count([('res_model', '=', 'crm.lead'), ('res_id', '=', lead.id)])})
print('@@RESULT@@' + json.dumps(result))
`);
    const leads = JSON.parse(out) as (MovedLead & { queued: number })[];
    for (const lead of leads) expect(lead.queued).toBe(3);
    return leads;
  }

  const deliveries = (eventId: string) => api.delivered.filter((d) => d.row.event_id === eventId);
  const odooStates = (leads: MovedLead[]) =>
    shop.psql(`SELECT string_agg(DISTINCT state, ',') FROM tiktok_source_event WHERE res_model = 'crm.lead' AND res_id IN (${leads.map((l) => l.id).join(',')})`);

  it('two sidecars deliver exactly one event per lead and mapped stage, with the event set, lead, hashed keys and limited data use', async () => {
    const a = await sidecar('replica-a');
    const b = await sidecar('replica-b');
    const leads = await moveLeads(5);
    const ids = leads.flatMap((l) => Object.values(l.events));
    await until(() => ids.every((id) => deliveries(id).length > 0), 60_000, 'every CRM event');
    await until(() => odooStates(leads) === 'sent', 20_000, 'every CRM event marked sent in Odoo');
    await sleep(POLL_SECONDS * 3000);
    for (const child of [a, b]) child.kill('SIGTERM');
    await Promise.all([exited(a), exited(b)]);

    expect(ids.map((id) => deliveries(id).length)).toEqual(ids.map(() => 1));
    // Nothing else reached TikTok: the unmapped stage and the second visit of Qualified sent nothing.
    expect(api.delivered.filter((d) => d.eventSource === 'crm')).toHaveLength(ids.length);
    for (const lead of leads) {
      for (const [stage, eventId] of Object.entries(lead.events)) {
        const [{ row, pixelId, eventSource }] = deliveries(eventId);
        expect({ eventSource, pixelId, event: row.event }).toEqual({ eventSource: 'crm', pixelId: EVENT_SET, event: stage });
        expect(row.user.email).toBe(hashEmail(lead.email));
        expect(row.user.phone).toBe(hashPhone(lead.phone, lead.countryCode));
        expect(row.lead).toEqual({ lead_id: lead.tiktokLeadId, lead_event_source: 'Odoo' });
        expect(row.limited_data_use).toBe(true);
        expect(row).not.toHaveProperty('page');
      }
    }
  }, 240_000);
});
