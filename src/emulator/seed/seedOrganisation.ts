import { addDays, toDateOnly, toIso } from '../clock.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { TableDef } from '../metadata/types.js';
import { ROLE_NAMES } from '../security/roles.js';
import type { SqlValue, Store } from '../store/store.js';
import { quoteIdent } from '../store/store.js';
import { LOCAL_TEAMS, LOCAL_USERS } from '../users.js';
import { ticketNumber } from '../write/recordWriter.js';
import { Prng } from './prng.js';
import {
  ACCOUNTS,
  ACCOUNT_TASKS,
  CALL_SUBJECTS_CASE,
  CALL_SUBJECTS_LEAD,
  CASE_TOPICS,
  DEPARTMENTS,
  EMAIL_LEAD_IN,
  EMAIL_LEAD_OUT,
  FIRST_NAMES,
  JOB_TITLES,
  LAST_NAMES,
  LEAD_DESCRIPTIONS,
  LEAD_NOTES,
  LEAD_TOPIC_TEMPLATES,
  PLACES,
  PRODUCTS,
  PROSPECT_PREFIX,
  PROSPECT_SUFFIX,
  SCORE_REASONS_NEGATIVE,
  SCORE_REASONS_POSITIVE,
  STREETS,
  TASK_SUBJECTS_CASE,
  TASK_SUBJECTS_LEAD,
  asciiFold,
} from './sampleText.js';

export interface SeedOptions {
  anchor: Date;
  seed: number;
}

export interface SeedInfo {
  organizationId: string;
  businessUnitId: string;
}

export type Value = SqlValue | boolean | undefined;
export type Values = Record<string, Value>;

interface Person {
  id: string;
  first: string;
  last: string;
  email: string;
  phone: string;
}

interface ExtraUser {
  id: string;
  objectId: string;
  first: string;
  last: string;
  title: string;
  role: string;
}

/** Sellers and agents who own records but have no sign-in in the local identity provider. */
const EXTRA_USERS: readonly ExtraUser[] = [
  { id: '5e11e700-0000-4000-8000-000000000011', objectId: '0b1ec700-0000-4000-8000-000000000011', first: 'Priya', last: 'Raman', title: 'Account Executive', role: 'Salesperson' },
  { id: '5e11e700-0000-4000-8000-000000000012', objectId: '0b1ec700-0000-4000-8000-000000000012', first: 'Marcus', last: 'Holt', title: 'Senior Account Executive', role: 'Salesperson' },
  { id: '5e11e700-0000-4000-8000-000000000013', objectId: '0b1ec700-0000-4000-8000-000000000013', first: 'Elena', last: 'Sokolova', title: 'Sales Development Representative', role: 'Salesperson' },
  { id: 'a9e47000-0000-4000-8000-000000000021', objectId: '0b1ec700-0000-4000-8000-000000000021', first: 'Tomás', last: 'Ortega', title: 'Support Engineer', role: 'Customer Service Representative' },
  { id: 'a9e47000-0000-4000-8000-000000000022', objectId: '0b1ec700-0000-4000-8000-000000000022', first: 'Aiko', last: 'Tanaka', title: 'Customer Service Representative', role: 'Customer Service Representative' },
  { id: 'a9e47000-0000-4000-8000-000000000023', objectId: '0b1ec700-0000-4000-8000-000000000023', first: 'Kwame', last: 'Mensah', title: 'Support Team Lead', role: 'Customer Service Representative' },
];

/** Writes rows directly (bypassing Web API validation) with prepared, cached INSERTs. */
/**
 * What the idempotent additions to the sample org (catalogue, service desk, sales processes) share:
 * an inserter, the administrator who made their rows, an existence check, and their audit stamp
 * (400 days before the anchor, so they predate the records that use them).
 */
export function additionContext(store: Store, model: MetadataModel, anchor: Date): { ins: Inserter; admin: string | null; exists: (table: string, key: string, id: string) => boolean; stamp: Values } {
  const admin = LOCAL_USERS.find((u) => u.roles.includes('System Administrator'))?.systemUserId ?? null;
  const created = toIso(addDays(anchor, -400));
  return {
    ins: new Inserter(store, model),
    admin,
    exists: (table, key, id) => store.get(`SELECT 1 AS x FROM ${quoteIdent(table)} WHERE ${quoteIdent(key)} = ?`, [id]) !== undefined,
    stamp: { createdon: created, modifiedon: created, createdby: admin, modifiedby: admin },
  };
}

export class Inserter {
  private readonly sql = new Map<string, { sql: string; cols: string[]; table: TableDef }>();

  constructor(
    private readonly store: Store,
    private readonly model: MetadataModel,
  ) {}

  private plan(name: string): { sql: string; cols: string[]; table: TableDef } {
    let p = this.sql.get(name);
    if (!p) {
      const table = this.model.table(name);
      if (!table) throw new Error(`unknown table ${name}`);
      const cols = table.attributes.map((a) => a.logicalName);
      p = { sql: `INSERT INTO ${quoteIdent(name)} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols, table };
      this.sql.set(name, p);
    }
    return p;
  }

  insert(name: string, values: Values): void {
    const p = this.plan(name);
    values.versionnumber = this.store.nextVersion();
    if (p.table.isActivity && values.activitytypecode === undefined) values.activitytypecode = name;
    this.store.run(
      p.sql,
      p.cols.map((c) => {
        const v = values[c];
        return v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v;
      }),
    );
    const id = values[p.table.primaryIdAttribute];
    const label = values[p.table.primaryNameAttribute];
    if (typeof id === 'string' && !p.table.sharesKeyOf) this.store.setName(id, name, typeof label === 'string' ? label : null);
  }

  set(name: string, id: string, values: Values): void {
    const table = this.model.table(name);
    if (!table) throw new Error(`unknown table ${name}`);
    const cols = Object.keys(values);
    this.store.run(`UPDATE ${quoteIdent(name)} SET ${cols.map((c) => `${quoteIdent(c)} = ?`).join(', ')} WHERE ${quoteIdent(table.primaryIdAttribute)} = ?`, [
      ...cols.map((c) => {
        const v = values[c];
        return v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v;
      }),
      id,
    ]);
  }
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '');
}

/** Builds the whole sample organisation inside one transaction. Same seed + anchor → same rows. */
export function seedOrganisation(store: Store, model: MetadataModel, opts: SeedOptions): SeedInfo {
  const rng = new Prng(opts.seed);
  const anchor = opts.anchor;
  const ins = new Inserter(store, model);
  const at = (daysAgo: number): Date => new Date(anchor.getTime() - Math.round(daysAgo * 86_400_000));
  const iso = (d: Date): string => toIso(d);
  const between = (from: Date, to: Date): Date => new Date(from.getTime() + rng.next() * Math.max(0, to.getTime() - from.getTime()));
  const phone = (): string => `+1 ${rng.pick(['206', '425', '312', '512', '617', '303'])}-555-01${String(rng.int(0, 99)).padStart(2, '0')}`;
  const emailOf = new Map<string, string>();

  const organizationId = rng.guid();
  const businessUnitId = rng.guid();

  return store.transaction(() => {
    // ---- organisation, roles, users -------------------------------------------------------------
    const orgCreated = iso(at(900));
    ins.insert('businessunit', { businessunitid: businessUnitId, name: 'Contoso Sales & Service', createdon: orgCreated, modifiedon: orgCreated });
    const roleIds = new Map<string, string>();
    for (const r of ROLE_NAMES) {
      const id = rng.guid();
      roleIds.set(r, id);
      ins.insert('role', { roleid: id, name: r, businessunitid: businessUnitId, createdon: orgCreated, modifiedon: orgCreated });
    }
    const admin = LOCAL_USERS.find((u) => u.roles.includes('System Administrator')) ?? LOCAL_USERS[0];
    const adminId = admin?.systemUserId ?? rng.guid();
    const audit = (created: Date, owner: string): Values => ({
      createdon: iso(created),
      modifiedon: iso(created),
      createdby: owner,
      modifiedby: owner,
      ownerid: owner,
    });
    const addUser = (id: string, objectId: string, first: string, last: string, email: string, title: string, roles: readonly string[]) => {
      ins.insert('systemuser', {
        systemuserid: id,
        firstname: first,
        lastname: last,
        fullname: `${first} ${last}`,
        internalemailaddress: email,
        domainname: email,
        title,
        azureactivedirectoryobjectid: objectId,
        isdisabled: false,
        businessunitid: businessUnitId,
        createdon: orgCreated,
        modifiedon: orgCreated,
        createdby: adminId,
        modifiedby: adminId,
      });
      emailOf.set(id, email);
      for (const r of roles) {
        const roleId = roleIds.get(r);
        if (roleId) store.run(`INSERT INTO systemuserroles (systemuserid, roleid) VALUES (?, ?)`, [id, roleId]);
      }
    };
    const addLocalUser = (u: (typeof LOCAL_USERS)[number]) => {
      const [first = u.fullName, ...rest] = u.fullName.split(' ');
      addUser(u.systemUserId, u.objectId, first, rest.join(' '), u.email, u.title, u.roles);
    };
    for (const u of LOCAL_USERS) if (u.ownsSeedRecords !== false) addLocalUser(u);
    for (const u of EXTRA_USERS) addUser(u.id, u.objectId, u.first, u.last, `${asciiFold(u.first)}@contoso.example`, u.title, [u.role]);

    const byRole = (role: string) => [
      ...LOCAL_USERS.filter((u) => u.roles.includes(role) && u.ownsSeedRecords !== false).map((u) => u.systemUserId),
      ...EXTRA_USERS.filter((u) => u.role === role).map((u) => u.id),
    ];
    const salesManagers = byRole('Sales Manager');
    const sellers: Array<readonly [string, number]> = [
      ...salesManagers.map((id) => [id, 3] as const),
      ...byRole('Salesperson').map((id) => [id, id === LOCAL_USERS.find((u) => u.alias === 'sam')?.systemUserId ? 3 : 2] as const),
    ];
    const agents: Array<readonly [string, number]> = byRole('Customer Service Representative').map((id, i) => [id, i === 0 ? 3 : 2] as const);
    const seller = () => rng.weighted(sellers);
    const agent = () => rng.weighted(agents);
    const userName = (id: string) => store.names.get(id)?.name ?? '';

    // ---- accounts and contacts ------------------------------------------------------------------
    interface AccountRow {
      id: string;
      name: string;
      slug: string;
      city: string;
      country: string;
      owner: string;
      created: Date;
      contacts: Person[];
    }
    const accounts: AccountRow[] = [];
    const addAccount = (name: string, slug: string, industry: number, type: string, created: Date, owner: string, originatingLead?: string): AccountRow => {
      const [city, state, country] = rng.pick(PLACES);
      const id = rng.guid();
      const employees = Math.round(10 ** (1 + rng.next() * 4.2));
      const row: AccountRow = { id, name, slug, city, country, owner, created, contacts: [] };
      ins.insert('account', {
        accountid: id,
        name,
        accountnumber: `ACC-${String(10001 + accounts.length)}`,
        telephone1: phone(),
        emailaddress1: `info@${slug}.example`,
        websiteurl: `https://www.${slug}.example`,
        address1_line1: `${rng.int(1, 9999)} ${rng.pick(STREETS)}`,
        address1_city: city,
        address1_stateorprovince: state,
        address1_postalcode: String(rng.int(10000, 99999)),
        address1_country: country,
        industrycode: industry,
        revenue: Math.round(employees * (80_000 + rng.next() * 220_000) / 1000) * 1000,
        numberofemployees: employees,
        description: `${name} is a ${type === 'Partner' ? 'partner' : type.toLowerCase()} based in ${city}.`,
        customertypecode: { Customer: 3, Prospect: 8, Partner: 5, Vendor: 11 }[type] ?? 3,
        accountcategorycode: rng.chance(0.3) ? 1 : 2,
        originatingleadid: originatingLead,
        statecode: 0,
        statuscode: 1,
        ...audit(created, owner),
      });
      emailOf.set(id, `info@${slug}.example`);
      accounts.push(row);
      return row;
    };
    const usedPeople = new Set<string>();
    const newPerson = (domain: string): Person => {
      let first = rng.pick(FIRST_NAMES);
      let last = rng.pick(LAST_NAMES);
      for (let i = 0; i < 5 && usedPeople.has(`${first} ${last}`); i++) {
        first = rng.pick(FIRST_NAMES);
        last = rng.pick(LAST_NAMES);
      }
      usedPeople.add(`${first} ${last}`);
      return { id: rng.guid(), first, last, email: `${asciiFold(first)}.${asciiFold(last)}@${domain}.example`, phone: phone() };
    };
    const addContact = (acct: AccountRow | null, person: Person, created: Date, owner: string, originatingLead?: string, jobTitle?: string) => {
      ins.insert('contact', {
        contactid: person.id,
        firstname: person.first,
        lastname: person.last,
        fullname: `${person.first} ${person.last}`,
        emailaddress1: person.email,
        telephone1: person.phone,
        mobilephone: rng.chance(0.5) ? phone() : undefined,
        jobtitle: jobTitle ?? rng.pick(JOB_TITLES),
        address1_city: acct?.city,
        address1_country: acct?.country,
        preferredcontactmethodcode: rng.weighted([
          [1, 5],
          [2, 3],
          [3, 2],
        ] as const),
        parentcustomerid: acct?.id,
        originatingleadid: originatingLead,
        statecode: 0,
        statuscode: 1,
        ...audit(created, owner),
      });
      emailOf.set(person.id, person.email);
      acct?.contacts.push(person);
    };

    for (const a of ACCOUNTS) addAccount(a.name, a.slug, a.industry, a.type, at(rng.int(200, 720)), seller());
    // A few subsidiaries, so account hierarchies and self-joins have data.
    for (const [child, parent] of [
      ['Contoso Pharmaceuticals', 'Contoso Ltd.'],
      ['Contoso Electronics', 'Contoso Ltd.'],
      ['Fabrikam Fiber', 'Fabrikam, Inc.'],
      ['Fabrikam Manufacturing Europe', 'Fabrikam, Inc.'],
      ['Northwind Logistics', 'Northwind Traders'],
      ['Woodgrove Financial Advisors', 'Woodgrove Bank'],
    ] as const) {
      const c = accounts.find((x) => x.name === child);
      const p = accounts.find((x) => x.name === parent);
      if (c && p) ins.set('account', c.id, { parentaccountid: p.id });
    }
    let contactCount = 0;
    for (const acct of accounts) {
      const n = rng.int(2, 3);
      for (let i = 0; i < n && contactCount < 150; i++) {
        addContact(acct, newPerson(acct.slug), between(acct.created, at(30)), acct.owner);
        contactCount++;
      }
    }
    while (contactCount < 150) {
      const acct = rng.pick(accounts);
      addContact(acct, newPerson(acct.slug), between(acct.created, at(30)), acct.owner);
      contactCount++;
    }
    for (const acct of accounts) {
      const primary = acct.contacts[0];
      if (primary) ins.set('account', acct.id, { primarycontactid: primary.id });
    }

    // ---- activities helpers ----------------------------------------------------------------------
    const addParty = (activityId: string, partyId: string, mask: number) => {
      ins.insert('activityparty', { activitypartyid: rng.guid(), activityid: activityId, partyid: partyId, participationtypemask: mask, addressused: emailOf.get(partyId) ?? null });
    };
    const addEmail = (o: { subject: string; body: string; regarding: string; owner: string; from: string; to: string[]; when: Date; kind: 'sent' | 'received' | 'draft' }) => {
      const id = rng.guid();
      const completed = o.kind !== 'draft';
      ins.insert('email', {
        activityid: id,
        subject: o.subject,
        description: o.body,
        regardingobjectid: o.regarding,
        prioritycode: 1,
        directioncode: o.kind !== 'received',
        statecode: completed ? 1 : 0,
        statuscode: o.kind === 'sent' ? 3 : o.kind === 'received' ? 4 : 1,
        senton: o.kind === 'sent' ? iso(o.when) : undefined,
        actualend: completed ? iso(o.when) : undefined,
        sender: emailOf.get(o.from) ?? null,
        torecipients: o.to.map((t) => emailOf.get(t)).filter((x): x is string => !!x).join(';') || null,
        ...audit(o.when, o.owner),
      });
      addParty(id, o.from, 1);
      for (const t of o.to) addParty(id, t, 2);
      return id;
    };
    const addCall = (o: { subject: string; regarding: string; owner: string; when: Date; number: string; outgoing: boolean; open?: boolean }) => {
      const open = o.open ?? false;
      ins.insert('phonecall', {
        activityid: rng.guid(),
        subject: o.subject,
        description: open ? 'Scheduled call.' : rng.pick(['Left a voicemail and sent a follow-up email.', 'Discussed requirements and next steps.', 'Customer confirmed the timeline.', 'Reviewed open questions; sending a summary by email.']),
        regardingobjectid: o.regarding,
        phonenumber: o.number,
        directioncode: o.outgoing,
        prioritycode: 1,
        actualdurationminutes: open ? undefined : rng.int(3, 45),
        scheduledend: iso(o.when),
        actualend: open ? undefined : iso(o.when),
        statecode: open ? 0 : 1,
        statuscode: open ? 1 : o.outgoing ? 2 : 4,
        ...audit(open ? at(rng.int(0, 3)) : o.when, o.owner),
      });
    };
    const addTask = (o: { subject: string; regarding: string; owner: string; created: Date; due: Date; done: boolean }) => {
      ins.insert('task', {
        activityid: rng.guid(),
        subject: o.subject,
        description: o.done ? 'Completed.' : 'Open follow-up.',
        regardingobjectid: o.regarding,
        prioritycode: rng.weighted([
          [1, 6],
          [2, 2],
          [0, 2],
        ] as const),
        scheduledend: iso(o.due),
        actualend: o.done ? iso(o.due) : undefined,
        percentcomplete: o.done ? 100 : rng.pick([0, 0, 25, 50]),
        statecode: o.done ? 1 : 0,
        statuscode: o.done ? 5 : rng.pick([2, 3, 4]),
        ...audit(o.created, o.owner),
      });
    };
    const addNote = (regarding: string, table: string, subject: string, text: string, owner: string, when: Date) => {
      ins.insert('annotation', { annotationid: rng.guid(), subject, notetext: text, objectid: regarding, objecttypecode: table, isdocument: false, ...audit(when, owner) });
    };

    // ---- leads ------------------------------------------------------------------------------------
    interface LeadRow {
      id: string;
      person: Person;
      company: string;
      slug: string;
      account?: AccountRow;
      owner: string;
      created: Date;
      state: number;
      status: number;
      product: string;
      rating: number;
      value: number;
      budget?: number;
      subject: string;
      interactions: number;
      lastActivity?: Date;
    }
    const leads: LeadRow[] = [];
    const prospectNames = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const recent = rng.chance(0.16);
      const created = recent ? at(rng.next() * 7) : at(7 + rng.next() * 173);
      let account: AccountRow | undefined;
      let company: string;
      let slug: string;
      if (rng.chance(0.35)) {
        account = rng.pick(accounts);
        company = account.name;
        slug = account.slug;
      } else {
        do company = `${rng.pick(PROSPECT_PREFIX)} ${rng.pick(PROSPECT_SUFFIX)}`;
        while (prospectNames.has(company) && prospectNames.size < 550);
        prospectNames.add(company);
        slug = asciiFold(company);
      }
      const person = newPerson(slug);
      const product = rng.pick(PRODUCTS);
      const n = String(rng.pick([10, 25, 40, 50, 75, 100, 150, 250, 500]));
      const subject = fill(rng.pick(LEAD_TOPIC_TEMPLATES), { product, dept: rng.pick(DEPARTMENTS), n });
      const ageDays = (anchor.getTime() - created.getTime()) / 86_400_000;
      let state = 0;
      let status = 1;
      if (ageDays > 10) {
        const r = rng.next();
        if (r < 0.16) {
          state = 1;
          status = 3;
        } else if (r < 0.3) {
          state = 2;
          status = rng.weighted([
            [4, 3],
            [5, 2],
            [6, 3],
            [7, 1],
          ] as const);
        }
      }
      const value = Math.round((5_000 + rng.next() ** 2 * 495_000) / 500) * 500;
      const budget = rng.chance(0.7) ? Math.round((value * (0.7 + rng.next() * 0.6)) / 500) * 500 : undefined;
      const rating = rng.weighted([
        [1, 2],
        [2, 4.5],
        [3, 3.5],
      ] as const);
      const owner = seller();
      const id = rng.guid();
      const lead: LeadRow = { id, person, company, slug, owner, created, state, status, product, rating, value, subject, interactions: 0 };
      if (account) lead.account = account;
      if (budget !== undefined) lead.budget = budget;
      leads.push(lead);
      const place = rng.pick(PLACES);
      const city = account ? account.city : place[0];
      const country = account ? account.country : place[2];
      const employees = Math.round(10 ** (1 + rng.next() * 3.5));
      ins.insert('lead', {
        leadid: id,
        subject,
        firstname: person.first,
        lastname: person.last,
        fullname: `${person.first} ${person.last}`,
        companyname: company,
        emailaddress1: person.email,
        telephone1: rng.chance(0.85) ? person.phone : undefined,
        mobilephone: rng.chance(0.4) ? phone() : undefined,
        jobtitle: rng.pick(JOB_TITLES),
        websiteurl: account ? undefined : `https://www.${slug}.example`,
        address1_city: city,
        address1_country: country,
        description: rng.pick(LEAD_DESCRIPTIONS),
        leadsourcecode: rng.weighted([
          [8, 6],
          [1, 2],
          [2, 1.5],
          [3, 1.5],
          [4, 1.5],
          [5, 0.5],
          [6, 1],
          [7, 2],
          [9, 1],
          [10, 0.5],
        ] as const),
        leadqualitycode: rating,
        industrycode: account ? undefined : rng.int(1, 33),
        purchasetimeframe: rng.int(0, 4),
        estimatedvalue: value,
        budgetamount: budget,
        revenue: Math.round(employees * 150) * 1000,
        numberofemployees: employees,
        estimatedclosedate: toDateOnly(addDays(created, rng.int(30, 120))),
        donotemail: rng.chance(0.05),
        donotphone: rng.chance(0.05),
        parentaccountid: account?.id,
        parentcontactid: account && rng.chance(0.3) ? account.contacts[0]?.id : undefined,
        statecode: state,
        statuscode: status,
        ...audit(created, owner),
      });
      emailOf.set(id, person.email);
    }

    // Lead activities: enough history that "last activity" and "interaction count" mean something.
    for (const lead of leads) {
      const vars = { first: lead.person.first, last: lead.person.last, company: lead.company, product: lead.product, owner: userName(lead.owner), n: String(rng.int(10, 200)) };
      const closedAt = lead.state === 0 ? anchor : between(addDays(lead.created, 5), anchor);
      const ageDays = (closedAt.getTime() - lead.created.getTime()) / 86_400_000;
      const base = lead.state === 1 ? rng.int(3, 7) : lead.state === 2 ? rng.int(0, 3) : ageDays < 2 ? rng.int(0, 1) : rng.int(0, 5);
      const count = base;
      if (lead.state === 0 && count > 0) lead.status = 2;
      const touch = (d: Date) => {
        lead.interactions++;
        if (!lead.lastActivity || d > lead.lastActivity) lead.lastActivity = d;
      };
      for (let k = 0; k < count; k++) {
        const when = between(lead.created, closedAt);
        const kind = rng.weighted([
          ['out', 4],
          ['in', 2],
          ['call', 3],
          ['task', 1],
        ] as const);
        if (kind === 'out') {
          const [s, b] = rng.pick(EMAIL_LEAD_OUT);
          addEmail({ subject: fill(s, vars), body: fill(b, vars), regarding: lead.id, owner: lead.owner, from: lead.owner, to: [lead.id], when, kind: 'sent' });
        } else if (kind === 'in') {
          const [s, b] = rng.pick(EMAIL_LEAD_IN);
          addEmail({ subject: fill(s, vars), body: fill(b, vars), regarding: lead.id, owner: lead.owner, from: lead.id, to: [lead.owner], when, kind: 'received' });
        } else if (kind === 'call') {
          addCall({ subject: fill(rng.pick(CALL_SUBJECTS_LEAD), vars), regarding: lead.id, owner: lead.owner, when, number: lead.person.phone, outgoing: rng.chance(0.8) });
        } else {
          addTask({ subject: fill(rng.pick(TASK_SUBJECTS_LEAD), vars), regarding: lead.id, owner: lead.owner, created: when, due: addDays(when, 2), done: true });
        }
        touch(when);
      }
      if (lead.state === 0 && rng.chance(0.35)) {
        addTask({ subject: fill(rng.pick(TASK_SUBJECTS_LEAD), vars), regarding: lead.id, owner: lead.owner, created: at(rng.int(0, 5)), due: addDays(anchor, rng.int(-3, 7)), done: false });
      }
      if (lead.state === 0 && rng.chance(0.08)) {
        addCall({ subject: fill(rng.pick(CALL_SUBJECTS_LEAD), vars), regarding: lead.id, owner: lead.owner, when: addDays(anchor, rng.int(1, 6)), number: lead.person.phone, outgoing: true, open: true });
      }
      if (rng.chance(0.3)) addNote(lead.id, 'lead', 'Qualification notes', rng.pick(LEAD_NOTES), lead.owner, between(lead.created, closedAt));
      if (lead.status === 2) ins.set('lead', lead.id, { statuscode: 2 });
    }
    // A few drafts ready to send (SendEmail demos), owned by the sales manager.
    const drafts = leads.filter((l) => l.state === 0 && l.owner === salesManagers[0]).slice(0, 5);
    for (const lead of drafts) {
      const [s, b] = EMAIL_LEAD_OUT[0];
      const vars = { first: lead.person.first, last: lead.person.last, company: lead.company, product: lead.product, owner: userName(lead.owner), n: '50' };
      addEmail({ subject: fill(s, vars), body: fill(b, vars), regarding: lead.id, owner: lead.owner, from: lead.owner, to: [lead.id], when: at(rng.next()), kind: 'draft' });
    }

    // Predictive scores for most open leads.
    for (const lead of leads) {
      if (lead.state !== 0 || !rng.chance(0.85)) continue;
      const recency = lead.lastActivity ? (anchor.getTime() - lead.lastActivity.getTime()) / 86_400_000 : 90;
      let score = 35 + (lead.rating === 1 ? 25 : lead.rating === 2 ? 10 : -10) + Math.min(lead.interactions, 5) * 5 - Math.min(recency, 60) / 3 + (lead.budget ? 8 : 0);
      score = Math.max(1, Math.min(99, Math.round(score + (rng.next() - 0.5) * 20)));
      const grade = score >= 75 ? 0 : score >= 50 ? 1 : score >= 25 ? 2 : 3;
      const trend = lead.interactions < 2 ? 3 : rng.weighted([
        [0, 3],
        [1, 4],
        [2, 2],
      ] as const);
      const reasons = [
        ...rng.sample(SCORE_REASONS_POSITIVE, grade <= 1 ? 3 : 1).map((r) => ({ reason: r, influence: 'positive' })),
        ...rng.sample(SCORE_REASONS_NEGATIVE, grade >= 2 ? 2 : 1).map((r) => ({ reason: r, influence: 'negative' })),
      ];
      const id = rng.guid();
      const scoredOn = iso(at(rng.next() * 2));
      const created = at(rng.next() * 2);
      // Without the Predictive Scoring solution the scores are drawn (so the rest of the org is the
      // same) but there is nowhere to keep them.
      if (!model.table('msdyn_predictivescore')) continue;
      ins.insert('msdyn_predictivescore', {
        msdyn_predictivescoreid: id,
        msdyn_name: `Lead score - ${lead.person.first} ${lead.person.last}`,
        msdyn_score: score,
        msdyn_grade: grade,
        msdyn_scoretrend: trend,
        msdyn_scorereasons: JSON.stringify(reasons),
        msdyn_scoredon: scoredOn,
        msdyn_entityid: lead.id,
        msdyn_entitytype: 'lead',
        statecode: 0,
        statuscode: 1,
        ...audit(created, adminId),
      });
      ins.set('lead', lead.id, { msdyn_predictivescoreid: id });
    }

    // ---- opportunities (qualified leads first) ---------------------------------------------------
    let opportunityCount = 0;
    const addOpportunity = (o: { name: string; account: AccountRow; contact?: Person; lead?: LeadRow; owner: string; created: Date; value: number }) => {
      const id = rng.guid();
      const r = rng.next();
      const state = r < 0.72 ? 0 : r < 0.87 ? 1 : 2;
      const status = state === 0 ? (rng.chance(0.85) ? 1 : 2) : state === 1 ? 3 : rng.chance(0.5) ? 4 : 5;
      const closeDate = addDays(o.created, rng.int(20, 150));
      const stage = state === 0 ? rng.int(0, 3) : 3;
      ins.insert('opportunity', {
        opportunityid: id,
        name: o.name,
        description: o.lead ? `Qualified from lead: ${o.lead.subject}` : `Expansion opportunity with ${o.account.name}.`,
        estimatedvalue: o.value,
        actualvalue: state === 1 ? Math.round(o.value * (0.85 + rng.next() * 0.3)) : undefined,
        budgetamount: o.lead?.budget,
        estimatedclosedate: toDateOnly(closeDate),
        actualclosedate: state === 0 ? undefined : toDateOnly(closeDate < anchor ? closeDate : anchor),
        closeprobability: state === 1 ? 100 : state === 2 ? 0 : [10, 30, 60, 80][stage],
        opportunityratingcode: o.lead?.rating ?? rng.int(1, 3),
        salesstagecode: stage,
        stepname: ['1-Qualify', '2-Develop', '3-Propose', '4-Close'][stage],
        purchasetimeframe: rng.int(0, 4),
        customerid: o.account.id,
        parentaccountid: o.account.id,
        parentcontactid: o.contact?.id,
        originatingleadid: o.lead?.id,
        statecode: state,
        statuscode: status,
        ...audit(o.created, o.owner),
      });
      opportunityCount++;
      return id;
    };
    for (const lead of leads.filter((l) => l.state === 1)) {
      if (opportunityCount >= 100) break;
      const qualifiedOn = between(addDays(lead.created, 3), anchor);
      const acct = lead.account ?? addAccount(lead.company, lead.slug, rng.int(1, 33), 'Customer', qualifiedOn, lead.owner, lead.id);
      const person = { ...lead.person, id: rng.guid() };
      addContact(acct, person, qualifiedOn, lead.owner, lead.id);
      if (acct.contacts.length === 1) ins.set('account', acct.id, { primarycontactid: person.id });
      const oppId = addOpportunity({ name: lead.subject, account: acct, contact: person, lead, owner: lead.owner, created: qualifiedOn, value: lead.value });
      ins.set('lead', lead.id, { qualifyingopportunityid: oppId, parentaccountid: acct.id, parentcontactid: person.id, modifiedon: iso(qualifiedOn) });
    }
    while (opportunityCount < 100) {
      const acct = rng.pick(accounts.filter((a) => a.contacts.length > 0));
      const product = rng.pick(PRODUCTS);
      const contact = acct.contacts[0];
      addOpportunity({
        name: `${product.charAt(0).toUpperCase()}${product.slice(1)} – ${acct.name}`,
        account: acct,
        ...(contact ? { contact } : {}),
        owner: acct.owner,
        created: at(rng.int(10, 240)),
        value: Math.round((10_000 + rng.next() ** 2 * 790_000) / 1000) * 1000,
      });
    }

    // ---- cases ------------------------------------------------------------------------------------
    const customers = accounts.filter((a) => a.contacts.length > 0);
    for (let i = 0; i < 300; i++) {
      const topic = rng.pick(CASE_TOPICS);
      const title = rng.pick(topic.titles);
      const acct = rng.pick(customers);
      const contact = rng.pick(acct.contacts);
      const created = at(rng.next() ** 1.6 * 365);
      const age = (anchor.getTime() - created.getTime()) / 86_400_000;
      const r = rng.next();
      // Older cases are mostly closed; recent ones mostly open.
      const state = r < 0.05 ? 2 : r < 0.05 + (age > 30 ? 0.42 : 0.1) ? 1 : 0;
      const status = state === 0 ? rng.weighted([
        [1, 5],
        [2, 1],
        [3, 2],
        [4, 2],
      ] as const) : state === 1 ? (topic.type === 1 ? 1000 : 5) : 6;
      const owner = agent();
      const priority = rng.weighted([
        [1, 2],
        [2, 6],
        [3, 2],
      ] as const);
      const id = rng.guid();
      const onContact = rng.chance(0.25);
      const closedOn = state === 0 ? undefined : between(created, new Date(Math.min(anchor.getTime(), addDays(created, 14).getTime())));
      ins.insert('incident', {
        incidentid: id,
        title,
        ticketnumber: ticketNumber(() => rng.next()),
        description: `${topic.description} Reported by ${contact.first} ${contact.last} (${acct.name}).`,
        customerid: onContact ? contact.id : acct.id,
        primarycontactid: contact.id,
        prioritycode: priority,
        caseorigincode: rng.weighted([
          [1, 35],
          [2, 35],
          [3, 25],
          [2483, 2],
          [3986, 3],
        ] as const),
        casetypecode: topic.type,
        productserialnumber: rng.chance(0.4) ? `SN-${rng.int(100000, 999999)}` : undefined,
        isescalated: state === 0 && priority === 1 && rng.chance(0.4),
        followupby: state === 0 ? iso(addDays(anchor, rng.int(-2, 5))) : undefined,
        statecode: state,
        statuscode: status,
        ...audit(created, owner),
        modifiedon: iso(closedOn ?? created),
      });
      const vars = { first: contact.first, last: contact.last, company: acct.name, product: title, owner: userName(owner), n: '1' };
      const end = closedOn ?? anchor;
      if (rng.chance(0.7)) {
        const k = rng.int(1, topic.notes.length);
        for (let j = 0; j < k; j++) addNote(id, 'incident', 'Case note', topic.notes[j] ?? topic.notes[0] ?? '', owner, between(created, end));
      }
      if (rng.chance(0.65)) {
        addEmail({ subject: `${title}`, body: `<p>${topic.description}</p><p>${contact.first} ${contact.last}</p>`, regarding: id, owner, from: contact.id, to: [owner], when: created, kind: 'received' });
      }
      for (let j = rng.int(0, 2); j > 0; j--) {
        addEmail({ subject: `RE: ${title}`, body: `<p>Hi ${contact.first},</p><p>Thanks for your patience. We are working on your case and will update you shortly.</p><p>${userName(owner)}</p>`, regarding: id, owner, from: owner, to: [contact.id], when: between(created, end), kind: 'sent' });
      }
      for (let j = rng.int(0, 2); j > 0; j--) {
        addCall({ subject: fill(rng.pick(CALL_SUBJECTS_CASE), vars), regarding: id, owner, when: between(created, end), number: contact.phone, outgoing: rng.chance(0.6) });
      }
      if (rng.chance(0.4)) {
        const done = state !== 0 || rng.chance(0.4);
        addTask({ subject: rng.pick(TASK_SUBJECTS_CASE), regarding: id, owner, created: between(created, end), due: done ? between(created, end) : addDays(anchor, rng.int(-2, 5)), done });
      }
      if (state === 1 && closedOn) {
        ins.insert('incidentresolution', {
          activityid: rng.guid(),
          subject: `Resolved: ${title}`,
          description: topic.resolution,
          incidentid: id,
          timespent: rng.int(15, 480),
          actualend: iso(closedOn),
          statecode: 1,
          statuscode: 2,
          ...audit(closedOn, owner),
        });
      }
    }

    // Account check-ins.
    for (const acct of accounts) {
      if (!rng.chance(0.4)) continue;
      const c = acct.contacts[0];
      if (c) addCall({ subject: 'Account check-in', regarding: acct.id, owner: acct.owner, when: at(rng.int(1, 90)), number: c.phone, outgoing: true });
      addTask({ subject: rng.pick(ACCOUNT_TASKS), regarding: acct.id, owner: acct.owner, created: at(rng.int(1, 30)), due: addDays(anchor, rng.int(-5, 20)), done: rng.chance(0.5) });
    }

    // ---- knowledge articles ----------------------------------------------------------------------
    let kb = 1001;
    for (const topic of CASE_TOPICS) {
      for (const a of topic.articles) {
        const published = at(rng.int(60, 500));
        const content = `<h2>${a.title}</h2><p>${a.description}</p><ol>${a.steps.map((s) => `<li>${s}</li>`).join('')}</ol><p>Still need help? Contact support and mention article KA-0${kb}.</p>`;
        ins.insert('knowledgearticle', {
          knowledgearticleid: rng.guid(),
          title: a.title,
          content,
          description: a.description,
          keywords: a.keywords,
          articlepublicnumber: `KA-0${kb}`,
          isinternal: false,
          majorversionnumber: 1,
          minorversionnumber: 0,
          publishon: iso(published),
          knowledgearticleviews: rng.int(20, 4000),
          statecode: 3,
          statuscode: 7,
          ...audit(published, adminId),
        });
        kb++;
      }
    }

    // Appended after everything drawn from the PRNG, so earlier rows (and row versions) stay as they were.
    seedLaterAdditions(store, model, businessUnitId);
    return { organizationId, businessUnitId };
  });
}

/**
 * Rows added to the sample organisation after its PRNG sequence was fixed: users that own no seeded
 * records (greta), the teams, and a usersettings row per user. Idempotent and drawn from no PRNG, so
 * a fresh seed ends with it and a saved organisation gets the missing rows when it is loaded.
 */
export function seedLaterAdditions(store: Store, model: MetadataModel, businessUnitId: string): void {
  const ins = new Inserter(store, model);
  const exists = (table: string, key: string, id: string) => store.get(`SELECT 1 AS x FROM ${quoteIdent(table)} WHERE ${quoteIdent(key)} = ?`, [id]) !== undefined;
  const adminId = LOCAL_USERS.find((u) => u.roles.includes('System Administrator'))?.systemUserId ?? null;
  const created = store.get(`SELECT createdon FROM businessunit WHERE businessunitid = ?`, [businessUnitId])?.createdon ?? null;
  const stamp = { createdon: created, modifiedon: created, createdby: adminId, modifiedby: adminId };
  const roleIds = new Map(store.all(`SELECT roleid, name FROM role`).map((r) => [String(r.name), String(r.roleid)]));
  store.transaction(() => {
    for (const u of LOCAL_USERS) {
      if (exists('systemuser', 'systemuserid', u.systemUserId)) continue;
      const [first = u.fullName, ...rest] = u.fullName.split(' ');
      ins.insert('systemuser', {
        systemuserid: u.systemUserId,
        firstname: first,
        lastname: rest.join(' '),
        fullname: u.fullName,
        internalemailaddress: u.email,
        domainname: u.email,
        title: u.title,
        azureactivedirectoryobjectid: u.objectId,
        isdisabled: false,
        businessunitid: businessUnitId,
        ...stamp,
      });
      for (const r of u.roles) {
        const roleId = roleIds.get(r);
        if (roleId) store.run(`INSERT INTO systemuserroles (systemuserid, roleid) VALUES (?, ?)`, [u.systemUserId, roleId]);
      }
    }
    for (const t of LOCAL_TEAMS) {
      if (!exists('team', 'teamid', t.teamId)) ins.insert('team', { teamid: t.teamId, name: t.name, businessunitid: businessUnitId, teamtype: 0, ...stamp });
    }
    const languageOf = new Map(LOCAL_USERS.map((u) => [u.systemUserId, u.uiLanguageId ?? 1033]));
    for (const r of store.all(`SELECT systemuserid FROM systemuser WHERE systemuserid NOT IN (SELECT systemuserid FROM usersettings) ORDER BY createdon, systemuserid`)) {
      const id = String(r.systemuserid);
      // Locale 1033 for everyone: numbers and dates keep the en-US format the emulator renders.
      ins.insert('usersettings', { systemuserid: id, uilanguageid: languageOf.get(id) ?? 1033, localeid: 1033, timezonecode: 85, ...stamp });
    }
  });
}
