import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toHtml } from '../../src/copilot/text.js';
import { type AzuriteHandle, startAzurite } from '../../src/dev/azurite.js';
import { findLocalUser } from '../../src/emulator/users.js';
import { canonicalEmailText } from '../../src/tools/emailBody.js';
import { modernHeaders, modernRequest, readJsonRpc, startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

let server: TestServer;
const clients = new Map<string, TestClient>();
/** One client per user and agent, opened on first use. */
async function as(user: string, agent: string): Promise<TestClient> {
  const key = `${user}/${agent}`;
  let c = clients.get(key);
  if (!c) clients.set(key, (c = await connect(server, user, agent)));
  return c;
}

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
}, 60_000);
afterAll(async () => {
  for (const c of clients.values()) await c.close();
  await server?.close();
});

/** The Web API of the emulator as a seeded user (to arrange data the tools cannot make). */
async function dataverse(alias: string, path: string, method = 'GET', body?: unknown): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const token = await server.idp!.mintUserToken(findLocalUser(alias)!, { audience: server.emulator!.url, scopes: ['user_impersonation'] });
  const res = await fetch(`${server.emulator!.url}/api/data/v9.2/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json', prefer: 'odata.include-annotations="*"' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const createdId = (headers: Headers) => /\(([0-9a-f-]{36})\)/.exec(headers.get('odata-entityid') ?? '')![1]!;

async function handleRows(): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for await (const r of server.app.tables.handles.listEntities()) rows.push(r);
  return rows.filter((r) => r['kind'] === 'confirmation');
}

async function auditRows(tool: string): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for await (const r of server.app.tables.audit.listEntities()) if (r['tool'] === tool) rows.push(r);
  return rows;
}

describe('arguments: bounded, clear answers for bad input', () => {
  it('deeply nested JSON is refused naming the depth limit, not a stack overflow', async () => {
    // Written by hand: JSON.stringify itself overflows at this depth, which is the point.
    const nested = `${'{"a":'.repeat(10_000)}{"name":"deep"}${'}'.repeat(10_000)}`;
    const envelope = JSON.stringify(modernRequest('tools/call', { name: 'create_record', arguments: { table_name: 'account', record_data: '@@' } }));
    const res = await fetch(server.mcpUrl('dataverse'), {
      method: 'POST',
      headers: modernHeaders(await server.token('alice'), 'tools/call', 'create_record', { Table: 'account' }),
      body: envelope.replace('"@@"', nested),
    });
    expect(res.status).toBe(200);
    const r = (await readJsonRpc(res))['result'] as { isError?: boolean; content: Array<{ text: string }> };
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/^Invalid arguments for create_record: record_data\.a\.a.*nested deeper than 32 levels/);
    expect(r.content[0]!.text.length).toBeLessThan(400);
  });

  it('text with an unpaired UTF-16 surrogate is refused, in values and in keys', async () => {
    const alice = await as('alice', 'sales');
    const lone = await alice.call('D365_Sales_ListLeads', { search: 'abc\uD800' });
    expect(lone.isError).toBe(true);
    expect(lone.text).toMatch(/search: the text contains an unpaired UTF-16 surrogate/);
    const key = await (await as('alice', 'dataverse')).call('create_record', { table_name: 'account', record_data: { ['name\uDC00']: 'x' } });
    expect(key.isError).toBe(true);
    expect(key.text).toMatch(/record_data: a property name contains an unpaired UTF-16 surrogate/);
    const paired = await alice.call('D365_Sales_ListLeads', { search: 'caf\u00e9 \uD83D\uDE00' });
    expect(paired.isError, paired.text).toBeFalsy();
  });

  it('an undeclared argument is named with the closest declared one, never silently dropped', async () => {
    const r = await (await as('alice', 'sales')).call('D365_Sales_ListLeads', { engagementScore: 70 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/unknown argument "engagementScore"\. Did you mean "minScore"\?/);
    const typo = await (await as('alice', 'sales')).call('D365_Sales_ListLeads', { ratting: 'hot' });
    expect(typo.text).toMatch(/Did you mean "rating"\?/);
  });

  it('a cursor only continues the listing with the filters that produced it', async () => {
    const alice = await as('alice', 'sales');
    const first = await alice.call('D365_Sales_ListLeads', { rating: 'hot', top: 2 });
    const cursor = first.data['nextCursor'] as string;
    expect(cursor).toMatch(/^c1\./);
    const other = await alice.call('D365_Sales_ListLeads', { rating: 'warm', top: 2, cursor });
    expect(other.isError).toBe(true);
    expect(other.text).toMatch(/other filters/);
    const bigger = await alice.call('D365_Sales_ListLeads', { rating: 'hot', top: 5, cursor });
    expect(bigger.isError, bigger.text).toBeFalsy();
    expect((bigger.data['leads'] as Array<{ rating: string }>).every((l) => l.rating === 'Hot')).toBe(true);
  });
});

describe('previews are shown only for writes the user may perform', () => {
  it.each([
    ['rita', 'dataverse', 'create_record', { table_name: 'account', record_data: { name: 'Not allowed' } }, /prvCreateAccount/],
    ['sam', 'dataverse', 'delete_record', { table_name: 'lead', record_id: '' }, /prvDeleteLead/],
    ['rita', 'dataverse', 'create_table', { table_name: 'new_gadget' }, /prvCreateEntity/],
    ['rita', 'sales', 'D365_Sales_QualifyLeadToOpportunity', { leadId: '' }, /prvWriteLead.*prvCreateAccount/],
  ] as const)('%s: %s %s is refused before anyone is asked', async (user, agent, tool, args, missing) => {
    const anyLead = ((await (await as('alice', 'sales')).call('D365_Sales_ListLeads', { top: 1 })).data['leads'] as Array<{ leadId: string }>)[0]!.leadId;
    const filled = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v === '' ? anyLead : v]));
    const before = (await handleRows()).length;
    const r = await (await as(user, agent)).call(tool, filled);
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(missing);
    expect(r.text).toMatch(/lacks the .* privilege/);
    expect(r.data['status']).toBeUndefined();
    expect((await handleRows()).length).toBe(before);
  });

  it('a resolved case is refused in the preview, not after the user agreed', async () => {
    const bob = await as('bob', 'service');
    const resolved = ((await bob.call('D365_CustomerService_ListCases', { state: 'resolved', top: 1 })).data['cases'] as Array<{ caseId: string }>)[0]!;
    const r = await bob.call('D365_CustomerService_UpdateCase', { caseId: resolved.caseId, priority: 'high' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/is resolved; only active cases can be updated/);
  });

  it('previews read as sentences: articles, one full stop, the labels the user sees', async () => {
    const create = await (await as('alice', 'dataverse')).call('create_record', { table_name: 'account', record_data: { name: 'Grammar Check' } });
    expect((create.data['confirmation'] as { summary: string }).summary).toBe('Create an Account record.');
    const bob = await as('bob', 'service');
    const contoso = ((await bob.call('D365_CustomerService_ListAccounts', { search: 'Contoso Ltd.', top: 1 })).data['accounts'] as Array<{ accountId: string; name: string }>)[0]!;
    expect(contoso.name).toBe('Contoso Ltd.');
    const add = await bob.call('D365_CustomerService_AddCase', { title: 'Grammar', customerId: contoso.accountId });
    expect((add.data['confirmation'] as { summary: string }).summary).toBe('Open a normal-priority case "Grammar" for account Contoso Ltd.');
    const active = ((await bob.call('D365_CustomerService_ListCases', { priority: 'normal', top: 1 })).data['cases'] as Array<{ caseId: string }>)[0]!;
    const update = await bob.call('D365_CustomerService_UpdateCase', { caseId: active.caseId, priority: 'high', statusReason: 'on_hold' });
    const details = (update.data['confirmation'] as { details: Record<string, string> }).details;
    expect(details['priority']).toBe('Normal → High');
    expect(details['status reason']).toMatch(/ → On Hold$/);
  });
});

describe('emails: what is sent is what was previewed, to recipients the policy allows', () => {
  async function leadWithEmail(): Promise<{ leadId: string; email: string }> {
    const r = await dataverse('alice', "leads?$select=leadid,emailaddress1&$filter=statecode eq 0 and emailaddress1 ne null and donotemail eq false&$top=3");
    const rows = r.json['value'] as Array<{ leadid: string; emailaddress1: string }>;
    const row = rows[clients.size % rows.length]!;
    return { leadId: row.leadid, email: row.emailaddress1 };
  }

  async function draftTo(leadId: string, html: string): Promise<string> {
    const created = await dataverse('alice', 'emails', 'POST', {
      subject: 'Your enquiry',
      description: html,
      directioncode: true,
      'regardingobjectid_lead_email@odata.bind': `/leads(${leadId})`,
      email_activity_parties: [{ 'partyid_lead@odata.bind': `/leads(${leadId})`, participationtypemask: 2 }],
    });
    expect(created.status).toBe(204);
    return createdId(created.headers);
  }

  it('a draft with a tracking pixel, a disguised link and a comment is sent exactly as previewed', async () => {
    const { leadId } = await leadWithEmail();
    const html =
      '<p>Hello,</p><!-- internal: offer at most 5% --><p>Please <a href="https://evil.example/login">sign in at contoso.example</a> to see the offer.</p>' +
      '<img src="https://tracker.example/pixel.gif?id=42" width="1" height="1" alt=""><p style="display:none">hidden line</p>';
    const draftId = await draftTo(leadId, html);
    const alice = await as('alice', 'sales');
    const first = await alice.call('D365_Sales_SendOutreachEmail', { leadId, draftId });
    const preview = (first.data['confirmation'] as { details: Record<string, string> }).details['body']!;
    expect(preview).toContain('sign in at contoso.example <https://evil.example/login>');
    expect(preview).toContain('[image <https://tracker.example/pixel.gif?id=42>]');
    expect(preview).toContain('hidden line');
    expect(preview).not.toContain('offer at most 5%');

    const sent = await alice.callConfirmed('D365_Sales_SendOutreachEmail', { leadId, draftId });
    expect(resultOf<{ emailId: string }>(sent).emailId).toBe(draftId);
    const outgoing = server.emulator!.outbox.at(-1)!;
    expect(outgoing.activityId).toBe(draftId);
    expect(outgoing.body).toBe(toHtml(preview));
    expect(outgoing.body).not.toMatch(/<img|<!--|href=|display:none/);
    expect(canonicalEmailText(outgoing.body!)).toBe(preview);
  });

  it('the draft path applies the recipient policy: "Do not allow Emails" and a missing address', async () => {
    const { leadId } = await leadWithEmail();
    const draftId = await draftTo(leadId, '<p>Hello</p>');
    expect((await dataverse('alice', `leads(${leadId})`, 'PATCH', { donotemail: true })).status).toBe(204);
    const alice = await as('alice', 'sales');
    const outboxBefore = server.emulator!.outbox.length;
    const refused = await alice.call('D365_Sales_SendOutreachEmail', { leadId, draftId });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/does not allow emails/);
    const direct = await alice.call('D365_Sales_SendOutreachEmail', { leadId, subject: 'Hi', body: 'Hello' });
    expect(direct.text).toMatch(/does not allow emails/);
    expect((await dataverse('alice', `leads(${leadId})`, 'PATCH', { donotemail: false, emailaddress1: null })).status).toBe(204);
    const noAddress = await alice.call('D365_Sales_SendOutreachEmail', { leadId, subject: 'Hi', body: 'Hello' });
    expect(noAddress.isError).toBe(true);
    expect(noAddress.text).toMatch(/has no email address/);
    expect(server.emulator!.outbox.length).toBe(outboxBefore);
  });

  it("a contact's \"Do not allow Emails\" stops a case reply, and the draft says why it has no recipient", async () => {
    const bob = await as('bob', 'service');
    const cases = (await bob.call('D365_CustomerService_ListCases', { top: 20 })).data['cases'] as Array<{ caseId: string; primaryContact?: { id: string } }>;
    const withContact = cases.find((c) => c.primaryContact)!;
    expect((await dataverse('dana', `contacts(${withContact.primaryContact!.id})`, 'PATCH', { donotemail: true })).status).toBe(204);
    const draft = await bob.call('D365_CustomerService_DraftEmailResponse', { caseId: withContact.caseId });
    expect(draft.data['to']).toBe('');
    expect(draft.data['recipientProblem']).toMatch(/does not allow emails/);
    const send = await bob.call('D365_CustomerService_SendEmailResponse', { caseId: withContact.caseId, subject: 'Update', body: 'Hello' });
    expect(send.isError).toBe(true);
    expect(send.text).toMatch(/does not allow emails/);
  });
});

describe('a confirmation is carried out at most once', () => {
  it('a create replayed with a resurrected handle meets a duplicate key: one record, and a clear answer', async () => {
    const alice = await as('alice', 'dataverse');
    const args = { table_name: 'account', record_data: { name: 'Exactly Once Ltd' } };
    const first = await alice.call('create_record', args);
    const handle = (first.data['confirmation'] as { handle: string }).handle;
    const row = (await handleRows()).find((r) => r['rowKey'] === handle)!;
    const done = resultOf<{ recordId: string }>(await alice.call('create_record', { ...args, confirmationHandle: handle }));
    // The store "loses" the consumption: the same handle row is back.
    const { etag: _etag, timestamp: _timestamp, ...entity } = row as Record<string, unknown> & { partitionKey: string; rowKey: string };
    await server.app.tables.handles.createEntity(entity as { partitionKey: string; rowKey: string });
    const replay = await alice.call('create_record', { ...args, confirmationHandle: handle });
    expect(replay.isError).toBe(true);
    expect(replay.text).toMatch(new RegExp(`already carried out: account ${done.recordId} exists`));
    const found = await dataverse('alice', "accounts?$select=accountid&$filter=name eq 'Exactly Once Ltd'");
    expect(found.json['value']).toHaveLength(1);
  });

  it('a case note and an email get ids derived from their confirmation too', async () => {
    const bob = await as('bob', 'service');
    const c = ((await bob.call('D365_CustomerService_ListCases', { top: 1 })).data['cases'] as Array<{ caseId: string }>)[0]!;
    const args = { caseId: c.caseId, text: 'Called the customer back.' };
    const handle = ((await bob.call('D365_CustomerService_AddCaseNote', args)).data['confirmation'] as { handle: string }).handle;
    const row = (await handleRows()).find((r) => r['rowKey'] === handle)!;
    resultOf(await bob.call('D365_CustomerService_AddCaseNote', { ...args, confirmationHandle: handle }));
    const { etag: _e, timestamp: _t, ...entity } = row as Record<string, unknown> & { partitionKey: string; rowKey: string };
    await server.app.tables.handles.createEntity(entity as { partitionKey: string; rowKey: string });
    const replay = await bob.call('D365_CustomerService_AddCaseNote', { ...args, confirmationHandle: handle });
    expect(replay.text).toMatch(/already carried out: annotation/);
    const notes = await dataverse('bob', `annotations?$select=annotationid&$filter=_objectid_value eq ${c.caseId} and notetext eq 'Called the customer back.'`);
    expect(notes.json['value']).toHaveLength(1);
  });
});

describe('update_table reports what it did not do', () => {
  it('nothing added is an error audited as failed; some added is audited as partial', async () => {
    const dana = await as('dana', 'dataverse');
    resultOf(await dana.callConfirmed('create_table', { table_name: 'new_audited' }));
    const faults = server.emulator!.faults;
    faults.add({ kind: 'unavailable', count: 2, match: { method: 'POST', pathContains: "LogicalName='new_audited')/Attributes" } });
    const none = await dana.callConfirmed('update_table', { table_name: 'new_audited', new_columns: [{ name: 'one', type: 'string' }, { name: 'two', type: 'integer' }] });
    expect(none.isError).toBe(true);
    expect(none.text).toMatch(/^No column was added to new_audited: new_one: /);
    faults.add({ kind: 'unavailable', count: 1, match: { method: 'POST', pathContains: "LogicalName='new_audited')/Attributes" } });
    const some = resultOf<{ columnsAdded: string[]; columnsFailed: string[] }>(
      await dana.callConfirmed('update_table', { table_name: 'new_audited', new_columns: [{ name: 'three', type: 'string' }, { name: 'four', type: 'integer' }] }),
    );
    expect(some.columnsAdded).toEqual(['new_four']);
    expect(some.columnsFailed).toHaveLength(1);
    const outcomes = (await auditRows('update_table')).map((r) => [r['outcome'], r['detail']]);
    expect(outcomes).toEqual(expect.arrayContaining([['failed', 'failed'], ['partial', 'columns not added: new_three']]));
    expect(outcomes.map(([o]) => o)).not.toContain('succeeded');
  });
});

describe('customer-facing drafts quote internal notes only where the agent allows it', () => {
  let quoting: TestServer;
  beforeAll(async () => {
    quoting = await startTestServer({
      emulator: true,
      env: { AGENTS_JSON: JSON.stringify({ agents: [{ id: 'service', title: 'Service', toolsets: ['service'], quoteCaseNotes: true }] }) },
    });
  }, 60_000);
  afterAll(async () => {
    await quoting?.close();
  });

  it('with quoteCaseNotes the latest note is quoted and listed among the facts used', async () => {
    const bob = await connect(quoting, 'bob', 'service');
    const caseId = ((await bob.call('D365_CustomerService_ListCases', { top: 1 })).data['cases'] as Array<{ caseId: string }>)[0]!.caseId;
    resultOf(await bob.callConfirmed('D365_CustomerService_AddCaseNote', { caseId, text: 'Replacement part ships Friday.' }));
    const draft = (await bob.call('D365_CustomerService_DraftEmailResponse', { caseId })).data as { body: string; factsUsed: string[]; withheld: string[] };
    expect(draft.body).toContain('Replacement part ships Friday.');
    expect(draft.factsUsed).toContain('annotation[0].notetext');
    expect(draft.withheld).toEqual([]);
    await bob.close();
  });
});

describe('confirmation storage down', () => {
  let own: TestServer;
  let azurite: AzuriteHandle;
  beforeAll(async () => {
    azurite = await startAzurite();
    own = await startTestServer({ emulator: true, env: { TABLES_CONNECTION_STRING: azurite.connectionString } });
  }, 60_000);
  afterAll(async () => {
    await own?.close();
    await azurite?.close();
  });

  it('a write that needs a confirmation says "temporarily unavailable, retry", never "Internal error"', async () => {
    const token = await own.token('alice');
    const client = new ModernClient({ name: 'test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(new URL(own.mcpUrl('dataverse')), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    await azurite.close();
    const r = (await client.callTool({ name: 'create_record', arguments: { table_name: 'account', record_data: { name: 'While storage is down' } } })) as {
      isError?: boolean;
      content: Array<{ text: string }>;
    };
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toBe('Create record: confirmations are temporarily unavailable (their storage could not be reached). Nothing was changed. Retry in 5 s.');
    await client.close();
  }, 60_000);
});
