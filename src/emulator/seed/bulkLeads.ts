import { toIso } from '../clock.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { Store } from '../store/store.js';
import { findLocalUser } from '../users.js';
import { Prng } from './prng.js';
import { CALL_SUBJECTS_LEAD, FIRST_NAMES, JOB_TITLES, LAST_NAMES, PRODUCTS, PROSPECT_PREFIX, PROSPECT_SUFFIX, TASK_SUBJECTS_LEAD, asciiFold } from './sampleText.js';
import { Inserter } from './seedOrganisation.js';

export interface BulkLeadOptions {
  /** Open leads to add (1-50,000). */
  count: number;
  /** PRNG seed: the same seed, count and clock add the same rows. */
  seed?: number;
  /** They were created within this many days before now (default 60). */
  createdWithinDays?: number;
}

export interface BulkLeadResult {
  leads: number;
  activities: number;
  scores: number;
}

export const MAX_BULK_LEADS = 50_000;

/**
 * Adds many open leads at once, with interactions and (where the org scores leads) predictive
 * scores, for benchmarks of ranking at scale: `POST /_emulator/seed/leads {"count": 10000}`. They
 * belong to the sample sellers, so a seller's ranking sees thousands of them.
 */
export function seedBulkLeads(store: Store, model: MetadataModel, now: Date, options: BulkLeadOptions): BulkLeadResult {
  if (!Number.isInteger(options.count) || options.count < 1 || options.count > MAX_BULK_LEADS) throw new Error(`count must be a whole number from 1 to ${MAX_BULK_LEADS}`);
  const rng = new Prng(options.seed ?? 4242);
  const ins = new Inserter(store, model);
  const owners = ['alice', 'sam'].map((a) => findLocalUser(a)?.systemUserId).filter((id): id is string => typeof id === 'string');
  const scores = model.table('msdyn_predictivescore') !== undefined;
  const windowMs = (options.createdWithinDays ?? 60) * 86_400_000;
  const at = (ms: number) => toIso(new Date(ms));
  let activities = 0;
  let scored = 0;
  store.transaction(() => {
    for (let i = 0; i < options.count; i++) {
      const id = rng.guid();
      const owner = rng.pick(owners);
      const created = now.getTime() - Math.floor(rng.next() * windowMs);
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const company = `${rng.pick(PROSPECT_PREFIX)} ${rng.pick(PROSPECT_SUFFIX)}`;
      const rating = rng.weighted([
        [1, 2],
        [2, 4.5],
        [3, 3.5],
      ] as const);
      const value = Math.round((5_000 + rng.next() ** 2 * 495_000) / 500) * 500;
      const stamp = { createdon: at(created), modifiedon: at(created), createdby: owner, modifiedby: owner, ownerid: owner };
      ins.insert('lead', {
        leadid: id,
        subject: `${rng.pick(PRODUCTS)} for ${company}`,
        firstname: first,
        lastname: last,
        fullname: `${first} ${last}`,
        companyname: company,
        emailaddress1: `${asciiFold(first)}.${asciiFold(last)}.${i}@${asciiFold(company)}.example`,
        jobtitle: rng.pick(JOB_TITLES),
        leadsourcecode: rng.int(1, 10),
        leadqualitycode: rating,
        estimatedvalue: value,
        budgetamount: rng.chance(0.6) ? value : undefined,
        statecode: 0,
        statuscode: 1,
        ...stamp,
      });
      const n = rng.int(0, 6);
      let lastTouch = 0;
      for (let k = 0; k < n; k++) {
        const when = created + Math.floor(rng.next() * (now.getTime() - created));
        lastTouch = Math.max(lastTouch, when);
        const kind = rng.weighted([
          ['email', 5],
          ['phonecall', 3],
          ['task', 2],
        ] as const);
        const common = { activityid: rng.guid(), regardingobjectid: id, statecode: 1, actualend: at(when), createdon: at(when), modifiedon: at(when), createdby: owner, modifiedby: owner, ownerid: owner };
        if (kind === 'email') ins.insert('email', { ...common, subject: `Re: ${company}`, directioncode: rng.chance(0.6), statuscode: 3 });
        else if (kind === 'phonecall') ins.insert('phonecall', { ...common, subject: rng.pick(CALL_SUBJECTS_LEAD).replace('{product}', 'the platform'), directioncode: true, statuscode: 2 });
        else ins.insert('task', { ...common, subject: rng.pick(TASK_SUBJECTS_LEAD).replace('{company}', company), statuscode: 5, percentcomplete: 100 });
        activities++;
      }
      if (scores && rng.chance(0.85)) {
        const idleDays = lastTouch ? (now.getTime() - lastTouch) / 86_400_000 : 60;
        const score = Math.max(1, Math.min(99, Math.round(35 + (rating === 1 ? 25 : rating === 2 ? 10 : -10) + Math.min(n, 5) * 5 - Math.min(idleDays, 60) / 3 + (rng.next() - 0.5) * 20)));
        const scoreId = rng.guid();
        ins.insert('msdyn_predictivescore', {
          msdyn_predictivescoreid: scoreId,
          msdyn_name: `Lead score - ${first} ${last}`,
          msdyn_score: score,
          msdyn_grade: score >= 75 ? 0 : score >= 50 ? 1 : score >= 25 ? 2 : 3,
          msdyn_scoretrend: rng.int(0, 2),
          msdyn_scoredon: at(now.getTime()),
          msdyn_entityid: id,
          msdyn_entitytype: 'lead',
          statecode: 0,
          statuscode: 1,
          ...stamp,
        });
        ins.set('lead', id, { msdyn_predictivescoreid: scoreId });
        scored++;
      }
    }
  });
  return { leads: options.count, activities, scores: scored };
}
