import { addDays, toIso } from '../clock.js';
import { stableGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { Store } from '../store/store.js';
import { additionContext } from './seedOrganisation.js';

/**
 * The sample service desk: three public queues holding the active cases of its first month (some
 * picked by their owner, the rest waiting), a first-response and a resolve-by SLA KPI for each of
 * them, and case email templates. Ids come from names and nothing is drawn from the organisation's PRNG, so the
 * rest of the sample org is unchanged; idempotent, so a saved organisation gets these rows when it
 * is loaded.
 */

export const SERVICE_DESK_IDS = {
  queue: (key: QueueKey) => stableGuid(`queue:${key}`),
  template: (key: string) => stableGuid(`template:${key}`),
};

type QueueKey = 'tier1' | 'billing' | 'escalations';

const QUEUES: ReadonlyArray<{ key: QueueKey; name: string; email: string; description: string }> = [
  { key: 'tier1', name: 'Tier 1 Support', email: 'support@contoso.example', description: 'New cases from every channel; first response within a business day.' },
  { key: 'billing', name: 'Billing', email: 'billing@contoso.example', description: 'Invoices, refunds, payment and subscription questions.' },
  { key: 'escalations', name: 'Escalations', email: 'escalations@contoso.example', description: 'Escalated and high-priority cases for senior agents.' },
];

/** Case templates (templatetypecode incident) and one lead template, to show that a template serves one table. */
export const TEMPLATES: ReadonlyArray<{ key: string; type: string; title: string; description: string; subject: string; body: string }> = [
  {
    key: 'acknowledge',
    type: 'incident',
    title: 'Case acknowledgement',
    description: 'Confirms a new case was received and gives its number. Use for a first response.',
    subject: 'We received your request: {!incident:ticketnumber;}',
    body: '<p>Hello {!contact:firstname;there},</p><p>Thank you for contacting us about "{!incident:title;your request}". Your case number is {!incident:ticketnumber;}. An agent is looking into it and will reply within one business day.</p><p>Kind regards,<br>{!User:fullname;Customer Service}</p>',
  },
  {
    key: 'need-details',
    type: 'incident',
    title: 'Waiting for your details',
    description: 'Asks the customer for information needed to continue (logs, screenshots, serial number). Use when the case is waiting for details.',
    subject: 'We need a few details: {!incident:ticketnumber;}',
    body: '<p>Hello {!contact:firstname;there},</p><p>To continue with "{!incident:title;your request}" we need a few more details: the exact error message, when it started, and the serial number of the device if there is one. Reply to this email and we will pick it up right away.</p><p>Kind regards,<br>{!User:fullname;Customer Service}</p>',
  },
  {
    key: 'resolved',
    type: 'incident',
    title: 'Case resolved',
    description: 'Tells the customer the problem is solved and how to reopen. Use when resolving a case.',
    subject: 'Your case is resolved: {!incident:ticketnumber;}',
    body: '<p>Hello {!contact:firstname;there},</p><p>We have resolved "{!incident:title;your request}". If the problem comes back, reply to this email within 14 days and we will reopen the case.</p><p>Kind regards,<br>{!User:fullname;Customer Service}</p>',
  },
  {
    key: 'escalated',
    type: 'incident',
    title: 'Escalation notice',
    description: 'Tells the customer an urgent or escalated case is with a senior engineer. Use for high priority, escalated or SLA-at-risk cases.',
    subject: 'Your case has been escalated: {!incident:ticketnumber;}',
    body: '<p>Hello {!contact:firstname;there},</p><p>We understand "{!incident:title;your request}" is urgent. Your case is now with a senior engineer, who will contact you within four hours with a plan.</p><p>Kind regards,<br>{!User:fullname;Customer Service}</p>',
  },
  {
    key: 'billing',
    type: 'incident',
    title: 'Billing question received',
    description: 'For invoice, refund, payment and subscription questions: tells the customer the billing team has it.',
    subject: 'About your billing question: {!incident:ticketnumber;}',
    body: '<p>Hello {!contact:firstname;there},</p><p>Our billing team has your question about "{!incident:title;your invoice}" and will reply within two business days. Please keep your invoice number at hand.</p><p>Kind regards,<br>{!User:fullname;Customer Service}</p>',
  },
  {
    key: 'lead-intro',
    type: 'lead',
    title: 'Introduction to a new lead',
    description: 'First contact with a new lead.',
    subject: 'Nice to meet you, {!lead:firstname;}',
    body: '<p>Hello {!lead:firstname;there},</p><p>Thanks for your interest in Contoso.</p>',
  },
];

/** Resolve-by windows per priority (hours), and the first-response window. */
const RESOLVE_HOURS: Record<number, number> = { 1: 48, 2: 120, 3: 240 };
const FIRST_RESPONSE_HOURS: Record<number, number> = { 1: 8, 2: 24, 3: 48 };
const BILLING = /invoice|billing|refund|payment|subscription/i;
/** How many days before the anchor the sample service desk (queues and SLAs) started. */
export const SERVICE_DESK_DAYS = 30;

/** A stable number in [0, 1) from an id, so choices do not depend on the PRNG or on row order. */
const fraction = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 8), 16) / 0x1_0000_0000;

function kpi(now: Date, start: Date, hours: number, doneAt: Date | undefined): { status: number; failure: Date; warning: Date; succeededon?: string } {
  const failure = new Date(start.getTime() + hours * 3_600_000);
  const warning = new Date(start.getTime() + hours * 0.75 * 3_600_000);
  if (doneAt && doneAt <= failure) return { status: 4, failure, warning, succeededon: toIso(doneAt) };
  const status = now >= failure ? 1 : now >= warning ? 2 : 0;
  return { status, failure, warning };
}

export function seedServiceDesk(store: Store, model: MetadataModel, anchor: Date): void {
  if (!model.table('queue') || !model.table('slakpiinstance')) return;
  const { ins, admin, exists, stamp } = additionContext(store, model, anchor);
  store.transaction(() => {
    for (const q of QUEUES) {
      const id = SERVICE_DESK_IDS.queue(q.key);
      if (!exists('queue', 'queueid', id)) ins.insert('queue', { queueid: id, name: q.name, emailaddress: q.email, description: q.description, queueviewtype: 0, ownerid: admin, statecode: 0, statuscode: 1, ...stamp });
    }
    for (const t of TEMPLATES) {
      const id = SERVICE_DESK_IDS.template(t.key);
      if (!exists('template', 'templateid', id)) ins.insert('template', { templateid: id, title: t.title, description: t.description, subject: t.subject, body: t.body, templatetypecode: t.type, ispersonal: false, languagecode: 1033, ownerid: admin, ...stamp });
    }
    // The service desk went live a month before the anchor: the active cases since then are in a
    // queue and under SLA; older ones were assigned directly and have no KPIs.
    const since = toIso(addDays(anchor, -SERVICE_DESK_DAYS));
    const cases = store.all(`SELECT incidentid, title, prioritycode, isescalated, ownerid, createdon FROM incident WHERE statecode = 0 AND createdon >= ? ORDER BY createdon, incidentid`, [since]);
    for (const c of cases) {
      const caseId = String(c.incidentid);
      const itemId = stableGuid(`queueitem:${caseId}`);
      if (exists('queueitem', 'queueitemid', itemId)) continue;
      const title = String(c.title ?? '');
      const start = new Date(String(c.createdon));
      const queue: QueueKey = c.isescalated === 1 || c.prioritycode === 1 ? 'escalations' : BILLING.test(title) ? 'billing' : 'tier1';
      // About two in five cases wait for someone to pick them; the rest are worked by their owner.
      const waiting = fraction(itemId) < 0.4;
      ins.insert('queueitem', {
        queueitemid: itemId,
        title,
        queueid: SERVICE_DESK_IDS.queue(queue),
        objectid: caseId,
        workerid: waiting ? null : c.ownerid,
        workeridmodifiedon: waiting ? null : toIso(start),
        enteredon: toIso(start),
        priority: 0,
        statecode: 0,
        statuscode: 1,
        ...stamp,
        createdon: toIso(start),
        modifiedon: toIso(start),
      });
      const priority = typeof c.prioritycode === 'number' ? c.prioritycode : 2;
      const replied = store.get(`SELECT MIN(actualend) AS at FROM email WHERE regardingobjectid = ? AND directioncode = 1 AND statecode = 1`, [caseId])?.at;
      const first = kpi(anchor, start, FIRST_RESPONSE_HOURS[priority] ?? 24, typeof replied === 'string' ? new Date(replied) : undefined);
      const resolve = kpi(anchor, start, RESOLVE_HOURS[priority] ?? 120, undefined);
      const ids = { first: stableGuid(`slakpi:first:${caseId}`), resolve: stableGuid(`slakpi:resolve:${caseId}`) };
      for (const [key, name, k] of [
        ['first', 'First Response By KPI', first],
        ['resolve', 'Resolve By KPI', resolve],
      ] as const) {
        ins.insert('slakpiinstance', {
          slakpiinstanceid: ids[key],
          name,
          regarding: caseId,
          status: k.status,
          failuretime: toIso(k.failure),
          warningtime: toIso(k.warning),
          succeededon: k.succeededon ?? null,
          ownerid: c.ownerid,
          ...stamp,
          createdon: toIso(start),
          modifiedon: toIso(start),
        });
      }
      ins.set('incident', caseId, { firstresponsebykpiid: ids.first, resolvebykpiid: ids.resolve });
    }
  });
}
