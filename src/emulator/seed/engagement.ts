import { toIso } from '../clock.js';
import { stableGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { Store } from '../store/store.js';
import { afterEngagementCreate } from '../write/engagementRules.js';
import { additionContext, type Value, type Values } from './seedOrganisation.js';

/**
 * Sample data of the engagement tables: the stakeholder connection roles, the Lead to Opportunity
 * Sales Process with its four stages (Qualify on the lead; Develop, Propose and Close on the
 * opportunity, as the out-of-the-box flow has them: get_lead_bpf reference), a flow instance for
 * open leads and for opportunities qualified from a lead, stakeholder connections on some
 * opportunities, and a few meetings. Ids derive from names, nothing is drawn from the org's PRNG,
 * and it is idempotent, so a saved organisation gets the rows when it is loaded.
 */

export const LEAD_TO_OPPORTUNITY_PROCESS = stableGuid('process:leadtoopportunitysalesprocess');
/** The flow of opportunities created without a lead: its four stages all belong to the opportunity. */
export const OPPORTUNITY_PROCESS = stableGuid('process:opportunitysalesprocess');

export const STAGES = [
  { key: 'qualify', name: 'Qualify', category: 0, entity: 'lead' },
  { key: 'develop', name: 'Develop', category: 1, entity: 'opportunity' },
  { key: 'propose', name: 'Propose', category: 2, entity: 'opportunity' },
  { key: 'close', name: 'Close', category: 3, entity: 'opportunity' },
] as const;

export const CONNECTION_ROLES = [
  { key: 'stakeholder', name: 'Stakeholder', category: 1000 },
  { key: 'decision-maker', name: 'Decision Maker', category: 1000 },
  { key: 'influencer', name: 'Influencer', category: 1000 },
  { key: 'technical-buyer', name: 'Technical Buyer', category: 1000 },
  { key: 'economic-buyer', name: 'Economic Buyer', category: 1000 },
  { key: 'champion', name: 'Champion', category: 1000 },
  { key: 'sales-team', name: 'Sales Team Member', category: 1001 },
] as const;

export const ENGAGEMENT_IDS = {
  stage: (key: (typeof STAGES)[number]['key']) => stableGuid(`processstage:${LEAD_TO_OPPORTUNITY_PROCESS}:${key}`),
  opportunityStage: (key: (typeof STAGES)[number]['key']) => stableGuid(`processstage:${OPPORTUNITY_PROCESS}:${key}`),
  role: (key: (typeof CONNECTION_ROLES)[number]['key']) => stableGuid(`connectionrole:${key}`),
};

/** How many open leads and opportunities get a flow instance, stakeholders and a meeting. */
const OPEN_LEADS = 40;
const WITH_STAKEHOLDERS = 12;
const WITH_MEETINGS = 6;

export function seedEngagement(store: Store, model: MetadataModel, anchor: Date): void {
  if (!model.table('processstage') || !model.table('connection')) return;
  const { ins, admin, exists, stamp } = additionContext(store, model, anchor);
  store.transaction(() => {
    const context = { ins, admin, exists };
    seedProcess(context, LEAD_TO_OPPORTUNITY_PROCESS, 'Lead to Opportunity Sales Process', 'leadtoopportunitysalesprocess', 'lead', ENGAGEMENT_IDS.stage, (s) => s.entity);
    if (model.table('opportunitysalesprocess')) seedOpportunityProcess(store, context);
    for (const r of CONNECTION_ROLES) {
      const id = ENGAGEMENT_IDS.role(r.key);
      if (!exists('connectionrole', 'connectionroleid', id)) ins.insert('connectionrole', { connectionroleid: id, name: r.name, category: r.category, statecode: 0, statuscode: 1, ...stamp });
    }
    const qualify = ENGAGEMENT_IDS.stage('qualify');
    const develop = ENGAGEMENT_IDS.stage('develop');
    const propose = ENGAGEMENT_IDS.stage('propose');
    const leads = store.all(`SELECT leadid, fullname, createdon FROM lead WHERE statecode = 0 ORDER BY createdon DESC, leadid LIMIT ?`, [OPEN_LEADS]);
    for (const l of leads) {
      const id = stableGuid(`bpf:lead:${String(l.leadid)}`);
      if (exists('leadtoopportunitysalesprocess', 'businessprocessflowinstanceid', id)) continue;
      ins.insert('leadtoopportunitysalesprocess', { ...instance(id, 'Lead to Opportunity Sales Process', LEAD_TO_OPPORTUNITY_PROCESS, [qualify], l.createdon, admin), bpf_leadid: l.leadid });
    }
    const qualified = store.all(`SELECT opportunityid, originatingleadid, createdon, closeprobability FROM opportunity WHERE statecode = 0 AND originatingleadid IS NOT NULL ORDER BY createdon DESC, opportunityid`);
    for (const o of qualified) {
      const id = stableGuid(`bpf:opportunity:${String(o.opportunityid)}`);
      if (exists('leadtoopportunitysalesprocess', 'businessprocessflowinstanceid', id)) continue;
      const late = typeof o.closeprobability === 'number' && o.closeprobability >= 60;
      ins.insert('leadtoopportunitysalesprocess', {
        ...instance(id, 'Lead to Opportunity Sales Process', LEAD_TO_OPPORTUNITY_PROCESS, [qualify, develop, ...(late ? [propose] : [])], o.createdon, admin),
        bpf_leadid: o.originatingleadid,
        bpf_opportunityid: o.opportunityid,
      });
    }
    // Stakeholders: contacts of the customer account, as decision maker, influencer, technical buyer.
    const roles = [ENGAGEMENT_IDS.role('decision-maker'), ENGAGEMENT_IDS.role('influencer'), ENGAGEMENT_IDS.role('technical-buyer')];
    const deals = store.all(`SELECT o.opportunityid, o.name, o.customerid, o.ownerid, o.createdon FROM opportunity o JOIN account a ON a.accountid = o.customerid WHERE o.statecode = 0 ORDER BY o.createdon DESC, o.opportunityid LIMIT ?`, [WITH_STAKEHOLDERS]);
    for (const d of deals) {
      const contacts = store.all(`SELECT contactid, fullname FROM contact WHERE parentcustomerid = ? ORDER BY fullname LIMIT 3`, [d.customerid ?? null]);
      for (const [i, c] of contacts.entries()) {
        const id = stableGuid(`connection:${String(d.opportunityid)}:${String(c.contactid)}`);
        if (exists('connection', 'connectionid', id)) continue;
        const values: Values = { connectionid: id, name: c.fullname, record1id: d.opportunityid, record1roleid: null, record2id: c.contactid, record2roleid: roles[i % roles.length] ?? null, ismaster: 1, statecode: 0, statuscode: 1, ownerid: d.ownerid, createdon: d.createdon, modifiedon: d.createdon, createdby: admin, modifiedby: admin };
        ins.insert('connection', values);
        // The reciprocal row Dataverse keeps for every connection.
        afterEngagementCreate(store, model.table('connection')!, new Map(Object.entries(values).filter(([, v]) => v !== undefined)) as Map<string, string | number | null>);
      }
    }
    // Meetings next week on the newest deals.
    for (const [i, d] of deals.slice(0, WITH_MEETINGS).entries()) {
      const id = stableGuid(`appointment:${String(d.opportunityid)}`);
      if (exists('appointment', 'activityid', id)) continue;
      const start = new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth(), anchor.getUTCDate() + 7 + i, 15, 0));
      ins.insert('appointment', {
        activityid: id,
        subject: `Review: ${String(d.name)}`,
        location: 'Teams meeting',
        regardingobjectid: d.opportunityid,
        scheduledstart: toIso(start),
        scheduledend: toIso(new Date(start.getTime() + 3_600_000)),
        scheduleddurationminutes: 60,
        prioritycode: 1,
        statecode: 3,
        statuscode: 5,
        ownerid: d.ownerid,
        ...stamp,
      });
      ins.insert('activityparty', { activitypartyid: stableGuid(`activityparty:${id}:organizer`), activityid: id, partyid: d.ownerid, participationtypemask: 7 });
    }
  });
}

type SeedContext = Pick<ReturnType<typeof additionContext>, 'ins' | 'admin' | 'exists'>;

/** A business process flow: its workflow row and its stages in order, each on the table `entityOf` names. */
function seedProcess(
  { ins, exists }: SeedContext,
  processId: string,
  name: string,
  uniquename: string,
  primaryentity: string,
  stageId: (key: (typeof STAGES)[number]['key']) => string,
  entityOf: (stage: (typeof STAGES)[number]) => string,
): void {
  if (!exists('workflow', 'workflowid', processId)) ins.insert('workflow', { workflowid: processId, name, uniquename, category: 4, primaryentity });
  for (const [order, s] of STAGES.entries()) {
    const id = stageId(s.key);
    if (!exists('processstage', 'processstageid', id)) ins.insert('processstage', { processstageid: id, stagename: s.name, stagecategory: s.category, primaryentitytypecode: entityOf(s), processid: processId, stageorder: order });
  }
}

/** A running flow instance: in the last stage of `path`, active since its record was created. */
function instance(id: string, name: string, processId: string, path: readonly string[], createdon: Value, admin: string | null): Values {
  return {
    businessprocessflowinstanceid: id,
    name,
    activestageid: path.at(-1)!,
    activestagestartedon: createdon,
    traversedpath: path.join(','),
    processid: processId,
    statecode: 0,
    statuscode: 1,
    createdon,
    modifiedon: createdon,
    createdby: admin,
    modifiedby: admin,
  };
}

/**
 * The Opportunity Sales Process: Qualify, Develop, Propose and Close, all on the opportunity, and an
 * instance for each open opportunity created without a lead (those from a lead walk the Lead to
 * Opportunity Sales Process instead). Part of the caller's transaction.
 */
function seedOpportunityProcess(store: Store, context: SeedContext): void {
  const { ins, admin, exists } = context;
  seedProcess(context, OPPORTUNITY_PROCESS, 'Opportunity Sales Process', 'opportunitysalesprocess', 'opportunity', ENGAGEMENT_IDS.opportunityStage, () => 'opportunity');
  const stage = ENGAGEMENT_IDS.opportunityStage;
  const direct = store.all(`SELECT opportunityid, createdon, closeprobability FROM opportunity WHERE statecode = 0 AND originatingleadid IS NULL ORDER BY createdon DESC, opportunityid`);
  for (const o of direct) {
    const id = stableGuid(`bpf:opportunitysalesprocess:${String(o.opportunityid)}`);
    if (exists('opportunitysalesprocess', 'businessprocessflowinstanceid', id)) continue;
    const p = typeof o.closeprobability === 'number' ? o.closeprobability : 0;
    const path = [stage('qualify'), ...(p >= 30 ? [stage('develop')] : []), ...(p >= 60 ? [stage('propose')] : [])];
    ins.insert('opportunitysalesprocess', { ...instance(id, 'Opportunity Sales Process', OPPORTUNITY_PROCESS, path, o.createdon, admin), bpf_opportunityid: o.opportunityid });
  }
}
