import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { modernHeaders, modernRequest, readJsonRpc, startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

let server: TestServer;
let alice: TestClient;
let accountId: string;
beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  alice = await connect(server, 'alice', 'dataverse');
  accountId = ((await alice.call('read_query', { sql_query: "SELECT TOP 1 accountid FROM account WHERE name = 'Fourth Coffee'" })).data['rows'] as Array<{ accountid: string }>)[0]!.accountid;
}, 60_000);
afterAll(async () => {
  await alice?.close();
  await server?.close();
});

const nameOf = async (id: string) =>
  ((await alice.call('read_query', { sql_query: `SELECT name FROM account WHERE accountid = '${id}'` })).data['rows'] as Array<{ name: string }>)[0]?.name;

async function auditRows(): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for await (const r of server.app.tables.audit.listEntities()) rows.push(r);
  return rows;
}

describe('confirmation handles (2025-era clients, and modern clients without elicitation)', () => {
  it('nothing is written until the handle comes back; the handle works once', async () => {
    const args = { table_name: 'account', record_id: accountId, update_data: { name: 'Fourth Coffee Roasters' } };
    const first = await alice.call('update_record', args);
    expect(first.data['status']).toBe('confirmation_required');
    expect(await nameOf(accountId)).toBe('Fourth Coffee');
    const handle = (first.data['confirmation'] as { handle: string }).handle;
    resultOf(await alice.call('update_record', { ...args, confirmationHandle: handle }));
    expect(await nameOf(accountId)).toBe('Fourth Coffee Roasters');
    const replay = await alice.call('update_record', { ...args, confirmationHandle: handle });
    expect(replay.isError).toBe(true);
    expect(replay.text).toMatch(/not valid|already used/);
  });

  it('a handle cannot be used for other arguments, and stays usable for the confirmed ones', async () => {
    const args = { table_name: 'account', record_id: accountId, update_data: { name: 'Fourth Coffee' } };
    const handle = ((await alice.call('update_record', args)).data['confirmation'] as { handle: string }).handle;
    const swapped = await alice.call('update_record', { ...args, update_data: { name: 'Hijacked' }, confirmationHandle: handle });
    expect(swapped.isError).toBe(true);
    expect(swapped.text).toMatch(/different arguments/);
    expect(await nameOf(accountId)).toBe('Fourth Coffee Roasters');
    resultOf(await alice.call('update_record', { ...args, confirmationHandle: handle }));
    expect(await nameOf(accountId)).toBe('Fourth Coffee');
  });

  it("another user cannot redeem alice's handle", async () => {
    const args = { table_name: 'account', record_id: accountId, update_data: { name: 'Stolen Coffee' } };
    const handle = ((await alice.call('update_record', args)).data['confirmation'] as { handle: string }).handle;
    const dana = await connect(server, 'dana', 'dataverse');
    const r = await dana.call('update_record', { ...args, confirmationHandle: handle });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/not valid/);
    expect(await nameOf(accountId)).toBe('Fourth Coffee');
    await dana.close();
  });

  it('a made-up handle is refused without touching Dataverse', async () => {
    const r = await alice.call('delete_record', { table_name: 'account', record_id: accountId, confirmationHandle: 'cfm_AAAAAAAAAAAAAAAAAAAAAA' });
    expect(r.isError).toBe(true);
    expect(await nameOf(accountId)).toBe('Fourth Coffee');
  });

  it('every write leaves one audit row with who, agent, tool, target, outcome and request id', async () => {
    const rows = (await auditRows()).filter((r) => r['tool'] === 'update_record' && r['target'] === `account:${accountId}`);
    expect(rows.length).toBe(2);
    for (const r of rows) {
      expect(r).toMatchObject({ agentId: 'dataverse', outcome: 'succeeded', username: 'alice@contoso.example', era: 'legacy' });
      expect(String(r['requestId'])).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(r)).not.toContain('Fourth Coffee');
    }
  });
});

describe('MRTR confirmation (2026-07-28 clients that declare elicitation)', () => {
  async function modernClient(answer: { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, string | number | boolean | string[]> }) {
    const token = await server.token('alice');
    const prompts: string[] = [];
    const client = new Client({ name: 'elicit', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', async (request) => {
      prompts.push(String((request.params as { message: string }).message));
      return answer;
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl('dataverse')), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    return { client, prompts };
  }

  it('asks the user through the client, then writes when they accept', async () => {
    const { client, prompts } = await modernClient({ action: 'accept', content: { confirm: true } });
    const r = await client.callTool({ name: 'update_record', arguments: { table_name: 'account', record_id: accountId, update_data: { name: 'Fourth Coffee MRTR' } } });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatch(/Update Account "Fourth Coffee"/);
    expect((r.structuredContent as { status: string }).status).toBe('completed');
    expect(await nameOf(accountId)).toBe('Fourth Coffee MRTR');
    await client.close();
  });

  it('a decline changes nothing', async () => {
    const { client } = await modernClient({ action: 'decline' });
    const r = await client.callTool({ name: 'update_record', arguments: { table_name: 'account', record_id: accountId, update_data: { name: 'Declined Coffee' } } });
    expect((r.structuredContent as { status: string }).status).toBe('cancelled');
    expect(await nameOf(accountId)).toBe('Fourth Coffee MRTR');
    await client.close();
  });

  it('a tampered requestState is a protocol error; a replayed confirmation is refused; state is bound to the user', async () => {
    const token = await server.token('alice');
    const args = { name: 'update_record', arguments: { table_name: 'account', record_id: accountId, update_data: { name: 'Replay Coffee' } } };
    const withCaps = (body: Record<string, unknown>) => {
      const meta = (body['params'] as { _meta: Record<string, unknown> })._meta;
      meta['io.modelcontextprotocol/clientCapabilities'] = { elicitation: { form: {} } };
      return body;
    };
    const post = (t: string, body: unknown) => fetch(server.mcpUrl('dataverse'), { method: 'POST', headers: modernHeaders(t, 'tools/call', 'update_record', { Table: 'account' }), body: JSON.stringify(body) });

    const round1 = await readJsonRpc(await post(token, withCaps(modernRequest('tools/call', args))));
    const ir = round1['result'] as { resultType: string; requestState: string; inputRequests: Record<string, unknown> };
    expect(ir.resultType).toBe('input_required');
    expect(ir.inputRequests).toHaveProperty('confirm');

    const retry = withCaps(modernRequest('tools/call', { ...args, requestState: ir.requestState, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } } }, 2));
    const tampered = structuredClone(retry);
    (tampered['params'] as { requestState: string }).requestState = `${ir.requestState.slice(0, -4)}AAAA`;
    const bad = await readJsonRpc(await post(token, tampered));
    expect(bad['error']).toMatchObject({ code: -32602 });
    expect(await nameOf(accountId)).toBe('Fourth Coffee MRTR');

    const dana = await server.token('dana');
    const foreign = await readJsonRpc(await post(dana, retry));
    expect(foreign['error']).toMatchObject({ code: -32602 });

    const ok = await readJsonRpc(await post(token, retry));
    expect((ok['result'] as { structuredContent: { status: string } }).structuredContent.status).toBe('completed');
    expect(await nameOf(accountId)).toBe('Replay Coffee');

    resultOf(await alice.callConfirmed('update_record', { table_name: 'account', record_id: accountId, update_data: { name: 'Fourth Coffee' } }));
    const replay = await readJsonRpc(await post(token, retry));
    expect((replay['result'] as { isError: boolean }).isError).toBe(true);
    expect(await nameOf(accountId)).toBe('Fourth Coffee');
  });
});

describe('a confirmation covers exactly what was shown', () => {
  let bob: TestClient;
  let caseId: string;
  let contacts: Array<{ contactId: string; fullName: string; email: string }>;
  beforeAll(async () => {
    bob = await connect(server, 'bob', 'service');
    const cases = (await bob.call('D365_CustomerService_ListCases', { top: 20 })).data['cases'] as Array<{ caseId: string; primaryContact?: { id: string } }>;
    caseId = cases.find((c) => c.primaryContact)!.caseId;
    const accounts = (await bob.call('D365_CustomerService_ListAccounts', { top: 5, includeContacts: true })).data['accounts'] as Array<{ contacts?: Array<{ contactId: string; fullName: string; email: string }> }>;
    contacts = accounts.flatMap((a) => a.contacts ?? []).filter((c) => c.email);
  });
  afterAll(async () => {
    await bob?.close();
  });

  it('an email whose recipient changed after confirmation is not sent', async () => {
    const args = { caseId, subject: 'Update on your case', body: 'We are on it.' };
    const first = await bob.call('D365_CustomerService_SendEmailResponse', args);
    const confirmation = first.data['confirmation'] as { handle: string; details: { to: string } };
    const other = contacts.find((c) => !confirmation.details.to.includes(c.email))!;
    resultOf(await bob.callConfirmed('D365_CustomerService_UpdateCase', { caseId, primaryContactId: other.contactId }));
    const before = server.emulator!.outbox.length;
    const r = await bob.call('D365_CustomerService_SendEmailResponse', { ...args, confirmationHandle: confirmation.handle });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/no longer what the user confirmed/);
    expect(r.text).toContain(other.email);
    expect(server.emulator!.outbox.length).toBe(before);
  });

  it('sending a draft shows To, Cc, Bcc and the body, and an edited draft needs a new confirmation', async () => {
    const token = await server.idp!.mintUserToken((await import('../../src/emulator/users.js')).findLocalUser('bob')!, { audience: server.emulator!.url, scopes: ['user_impersonation'] });
    const api = (path: string, method: string, body?: unknown) =>
      fetch(`${server.emulator!.url}/api/data/v9.2/${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const created = await api('emails', 'POST', {
      subject: 'Draft with a hidden copy',
      description: '<p>Hello, here is the fix.</p>',
      directioncode: true,
      'regardingobjectid_incident_email@odata.bind': `/incidents(${caseId})`,
      email_activity_parties: [
        { 'partyid_contact@odata.bind': `/contacts(${contacts[0]!.contactId})`, participationtypemask: 2 },
        { 'partyid_contact@odata.bind': `/contacts(${contacts[1]!.contactId})`, participationtypemask: 4 },
      ],
    });
    expect(created.status).toBe(204);
    const draftId = /\(([0-9a-f-]{36})\)/.exec(created.headers.get('odata-entityid') ?? '')![1]!;

    const first = await bob.call('D365_CustomerService_SendEmailResponse', { caseId, draftId });
    const c = first.data['confirmation'] as { handle: string; summary: string; details: Record<string, string> };
    expect(c.summary).toContain(`bcc ${contacts[1]!.fullName}`);
    expect(c.details['bcc']).toContain(contacts[1]!.email);
    expect(c.details['body']).toBe('Hello, here is the fix.');

    const edited = await api(`emails(${draftId})`, 'PATCH', { description: '<p>Hello, here is the fix. Also: wire the money.</p>' });
    expect(edited.status).toBe(204);
    const before = server.emulator!.outbox.length;
    const r = await bob.call('D365_CustomerService_SendEmailResponse', { caseId, draftId, confirmationHandle: c.handle });
    expect(r.isError).toBe(true);
    expect(server.emulator!.outbox.length).toBe(before);
    const again = await bob.callConfirmed('D365_CustomerService_SendEmailResponse', { caseId, draftId });
    expect(resultOf<{ to: string }>(again).to).toContain(contacts[0]!.email);
  });

  it('record data: duplicate spellings of a column are refused; every column is in the preview', async () => {
    const dup = await alice.call('create_record', { table_name: 'contact', record_data: { lastname: 'Goodname', LASTNAME: 'EVIL' } });
    expect(dup.isError).toBe(true);
    expect(dup.text).toMatch(/more than once/);
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x${i}`, i]));
    const wide = await alice.call('create_record', { table_name: 'contact', record_data: { lastname: 'Wide', description: 'd'.repeat(3000), ...many } });
    expect(wide.isError).toBe(true);
    const ok = await alice.call('create_record', { table_name: 'contact', record_data: { lastname: 'Wide', description: 'd'.repeat(3000), jobtitle: 'A', telephone1: '1', mobilephone: '2' } });
    const details = (ok.data['confirmation'] as { details: Record<string, string> }).details;
    expect(Object.keys(details).sort()).toEqual(['description', 'jobtitle', 'lastname', 'mobilephone', 'telephone1']);
    expect(details['description']).toMatch(/\(3000 characters\)$/);
  });

  it('clearing a case description is shown as such', async () => {
    const r = await bob.call('D365_CustomerService_UpdateCase', { caseId, description: '   ' });
    expect((r.data['confirmation'] as { details: Record<string, string> }).details['description']).toBe('(cleared)');
  });
});
