import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { parseBatchResponse } from '../../src/dataverse/batch.js';
import type { Alias, ODataList, TestOrg } from './helpers.js';
import { q, useOrg } from './helpers.js';

let org: TestOrg;
useOrg((o) => (org = o));

type Rec = Record<string, unknown>;

/** One inner request of a batch body. */
interface Inner {
  method: string;
  url: string;
  body?: unknown;
  id?: string;
}

const part = (r: Inner) => [
  'Content-Type: application/http',
  'Content-Transfer-Encoding: binary',
  ...(r.id ? [`Content-ID: ${r.id}`] : []),
  '',
  `${r.method} ${r.url} HTTP/1.1`,
  ...(r.body !== undefined ? ['Content-Type: application/json; type=entry', '', JSON.stringify(r.body)] : ['']),
];

/** A batch body: each item a single request or a change set (an array). */
function body(items: Array<Inner | Inner[]>): string {
  const lines: string[] = [];
  items.forEach((item, n) => {
    lines.push('--batch_T');
    if (!Array.isArray(item)) lines.push(...part(item));
    else {
      lines.push(`Content-Type: multipart/mixed; boundary=changeset_${n}`, '');
      for (const r of item) lines.push(`--changeset_${n}`, ...part(r));
      lines.push(`--changeset_${n}--`);
    }
  });
  lines.push('--batch_T--', '');
  return lines.join('\r\n');
}

async function batch(alias: Alias, items: Array<Inner | Inner[]> | string, headers: Record<string, string> = {}) {
  const res = await fetch(`${org.base}$batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await org.token(alias)}`, 'content-type': 'multipart/mixed; boundary="batch_T"', accept: 'application/json', ...headers },
    body: typeof items === 'string' ? items : body(items),
  });
  const text = await res.text();
  return { status: res.status, text, parts: parseBatchResponse(text, res.headers.get('content-type')) ?? [] };
}

const idOf = (entity: string | undefined) => /\(([0-9a-f-]{36})\)$/.exec(entity ?? '')?.[1];
const named = async (name: string) => (await org.api<ODataList>('alice', `accounts?${q({ $select: 'accountid', $filter: `name eq '${name}'` })}`)).body.value;

/** $batch (execute-batch-operations-using-web-api). */
describe('$batch', () => {
  it('runs a change set and the requests after it in order; Content-ID references bind to rows created earlier in the set', async () => {
    const tag = `B${randomUUID().slice(0, 8)}`;
    const r = await batch('alice', [
      [
        { method: 'POST', url: '/api/data/v9.2/accounts', body: { name: `${tag} parent` }, id: '1' },
        { method: 'POST', url: `${org.base}contacts`, body: { lastname: tag, 'parentcustomerid_account@odata.bind': '$1' }, id: '2' },
      ],
      { method: 'GET', url: `accounts?${q({ $select: 'name', $filter: `name eq '${tag} parent'` })}` },
    ]);
    expect(r.status, r.text).toBe(200);
    expect(r.text).toMatch(/^--batchresponse_[0-9a-f-]+\r\nContent-Type: multipart\/mixed; boundary=changesetresponse_/);
    expect(r.parts.map((p) => [p.status, p.contentId])).toEqual([
      [204, '1'],
      [204, '2'],
      [200, undefined],
    ]);
    const accountId = idOf(r.parts[0]!.headers.get('odata-entityid'));
    expect(r.parts[0]!.headers.get('location')).toBe(r.parts[0]!.headers.get('odata-entityid'));
    expect((r.parts[2]!.body as ODataList).value).toEqual([expect.objectContaining({ name: `${tag} parent` })]);
    const contact = await org.api<Rec>('alice', `contacts(${idOf(r.parts[1]!.headers.get('odata-entityid'))})?$select=_parentcustomerid_value`);
    expect(contact.body['_parentcustomerid_value']).toBe(accountId);
  });

  it('rolls a failed change set back and answers with the failing request only', async () => {
    const tag = `R${randomUUID().slice(0, 8)}`;
    const r = await batch('alice', [
      [
        { method: 'POST', url: 'accounts', body: { name: tag }, id: '1' },
        { method: 'POST', url: 'accounts', body: { name: tag, nosuchcolumn: 1 }, id: '2' },
      ],
      { method: 'GET', url: 'accounts?$top=1' },
    ]);
    expect(r.status).toBe(400);
    expect(r.parts).toHaveLength(1);
    expect(r.parts[0]).toMatchObject({ status: 400, contentId: '2' });
    expect(JSON.stringify(r.parts[0]!.body)).toMatch(/nosuchcolumn/);
    expect(await named(tag)).toEqual([]);
  });

  it('with odata.continue-on-error answers 200 with every response, the failure in its place', async () => {
    const tag = `C${randomUUID().slice(0, 8)}`;
    const r = await batch('alice', [{ method: 'POST', url: 'accounts', body: { name: tag, nosuchcolumn: 1 } }, { method: 'POST', url: 'accounts', body: { name: tag } }], { prefer: 'odata.continue-on-error' });
    expect(r.status).toBe(200);
    expect(r.parts.map((p) => p.status)).toEqual([400, 204]);
    expect(await named(tag)).toHaveLength(1);
  });

  it("applies the caller's privileges to every request", async () => {
    const r = await batch('rita', [[{ method: 'POST', url: 'leads', body: { lastname: 'x' }, id: '1' }]]);
    expect(r.status).toBe(403);
    expect(JSON.stringify(r.parts[0]!.body)).toMatch(/prvCreateLead/);
  });

  it.each([
    ['a GET inside a change set', () => body([[{ method: 'GET', url: 'accounts' }]]), /GET requests are not allowed within change sets/],
    ['more than 1000 requests', () => body([Array.from({ length: 1001 }, (_, i) => ({ method: 'POST', url: 'accounts', body: { name: `n${i}` }, id: String(i + 1) }))]), /up to 1000 requests/],
    ['a reference to a Content-ID not declared yet', () => body([[{ method: 'POST', url: 'contacts', body: { lastname: 'x', 'parentcustomerid_account@odata.bind': '$7' }, id: '1' }]]), /Content-ID Reference: '\$7' does not exist in the batch context/],
    ['a batch inside a batch', () => body([{ method: 'POST', url: '$batch', body: {} }]), /cannot contain another batch/],
    ['a URL of another host', () => body([{ method: 'GET', url: 'https://contoso.example/api/data/v9.2/accounts' }]), /not under this organisation's Web API/],
    ['a body that does not end', () => '--batch_T\r\nContent-Type: application/http\r\n\r\nGET /api/data/v9.2/accounts HTTP/1.1\r\n', /does not end with '--batch_T--'/],
  ])('refuses %s', async (_name, make, message) => {
    const r = await batch('alice', make());
    expect(r.status, r.text).toBe(400);
    expect(r.text, r.text).toMatch(message);
  });

  it('needs a multipart/mixed body with a boundary', async () => {
    const res = await org.api('alice', '$batch', { method: 'POST', body: { requests: [] } });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/multipart\/mixed; boundary=/);
  });
});

/** sdkmessagefilter says which tables offer the bulk messages (bulk-operations, Availability with standard tables). */
describe('bulk message availability', () => {
  const available = async (message: string, table: string) =>
    (await org.api<ODataList>('alice', `sdkmessagefilters?$select=sdkmessagefilterid&$filter=sdkmessageid/name eq @message and primaryobjecttypecode eq @table&@message='${message}'&@table='${table}'`)).body.value.length;

  it('lists CreateMultiple and UpdateMultiple for leads and custom tables, not for tasks; the messages follow the list', async () => {
    expect(await available('CreateMultiple', 'lead')).toBe(1);
    expect(await available('UpdateMultiple', 'account')).toBe(1);
    expect(await available('CreateMultiple', 'task')).toBe(0);
    const refused = await org.api<{ error: { message: string } }>('alice', 'tasks/Microsoft.Dynamics.CRM.CreateMultiple', { method: 'POST', body: { Targets: [{ '@odata.type': 'Microsoft.Dynamics.CRM.task', subject: 'x' }] } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/does not support CreateMultiple/);
  });
});
