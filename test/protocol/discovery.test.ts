import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { dataverseAs } from '../helpers/dataverse.js';
import { connect, type TestClient } from '../helpers/mcpClient.js';

let server: TestServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.close();
  await server?.close();
});

async function namesFor(user: string, agent: string, era: 'legacy' | 'modern' = 'modern'): Promise<string[]> {
  const c = await connect(server, user, agent, era);
  clients.push(c);
  return (await c.listTools()).map((t) => t.name);
}

describe('tools/list lists only what the user\'s security roles let them run', () => {
  it('a first list on a fresh server costs who the user is, their privileges and one metadata read for every table', async () => {
    const c = await connect(server, 'dana', 'service-cx', 'modern');
    clients.push(c);
    server.emulator!.clearRequests();
    await c.listTools();
    const paths = server.emulator!.requests.map((r) => r.path);
    expect(paths.filter((p) => p.includes('RetrieveUserPrivileges'))).toHaveLength(1);
    expect(paths.filter((p) => p.includes('EntityDefinitions'))).toHaveLength(1);
    // WhoAmI and the user's row name the user whose privileges are read; each is cached afterwards.
    expect(paths.length, paths.join('\n')).toBeLessThanOrEqual(4);
  });

  it.each(['modern', 'legacy'] as const)('%s: an administrator sees every tool, a service rep all but knowledge authoring, a seller no case tools', async (era) => {
    const dana = await namesFor('dana', 'service-cx', era);
    const bob = await namesFor('bob', 'service-cx', era);
    const sam = await namesFor('sam', 'service-cx', era);
    expect(dana).toEqual(expect.arrayContaining(['pick_case_from_queue', 'draft_knowledge_article', 'publish_knowledge_article', 'list_cases']));
    // The Customer Service Representative role of the sample org reads knowledge articles but does not author them.
    expect(bob).toContain('pick_case_from_queue');
    expect(bob).toContain('search_knowledge_articles');
    expect(bob).not.toContain('draft_knowledge_article');
    expect(bob).not.toContain('publish_knowledge_article');
    expect(dana.filter((n) => !bob.includes(n)).sort()).toEqual(['draft_knowledge_article', 'publish_knowledge_article']);
    // A salesperson holds no case privileges at all.
    for (const n of ['list_cases', 'get_case', 'pick_case_from_queue', 'query_cases_by_sla_status']) expect(sam).not.toContain(n);
    expect(sam).toContain('whoami');
    // The order is the agent's, whoever lists.
    expect(bob).toEqual(dana.filter((n) => bob.includes(n)));
  });

  it('a read-only user sees the reads and no write that needs a privilege they lack', async () => {
    const rita = await namesFor('rita', 'service-cx');
    expect(rita).toEqual(expect.arrayContaining(['get_case', 'list_cases', 'query_cases_by_sla_status', 'view_email']));
    for (const n of ['pick_case_from_queue', 'reassign_case', 'draft_email', 'send_email', 'close_case', 'create_note']) expect(rita).not.toContain(n);
  });

  it('users with different roles on one route never get each other\'s list, and a warm list costs no Dataverse request', async () => {
    const first = await namesFor('bob', 'service');
    const other = await namesFor('sam', 'service');
    expect(other).not.toEqual(first);
    server.emulator!.clearRequests();
    expect(await namesFor('bob', 'service')).toEqual(first);
    expect(await namesFor('sam', 'service')).toEqual(other);
    expect(server.emulator!.requests.filter((r) => !/WhoAmI/.test(r.path)).length).toBe(0);
  });

  it('a role change shows once the cached privileges expire, not before', async () => {
    const who = 'rita';
    const before = await namesFor(who, 'service-cx');
    // dana (administrator) gives rita (read-only) the service desk role through the Web API, as an admin would.
    const dana = dataverseAs(server, 'dana');
    const role = (await dana<{ value: Array<{ roleid: string }> }>(`roles?$select=roleid&$filter=name eq 'Customer Service Representative'`)).body.value[0]!.roleid;
    const user = (await dana<{ value: Array<{ systemuserid: string }> }>(`systemusers?$select=systemuserid&$filter=internalemailaddress eq 'rita@contoso.example'`)).body.value[0]!.systemuserid;
    const added = await dana(`systemusers(${user})/systemuserroles_association/$ref`, { method: 'POST', body: { '@odata.id': `${server.emulator!.url}/api/data/v9.2/roles(${role})` } });
    expect(added.status).toBe(204);
    try {
      expect(await namesFor(who, 'service-cx')).toEqual(before);
      server.clock.advance(5 * 60_000 + 1);
      const after = await namesFor(who, 'service-cx');
      expect(after).toContain('pick_case_from_queue');
      expect(before).not.toContain('pick_case_from_queue');
    } finally {
      await dana(`systemusers(${user})/systemuserroles_association(${role})/$ref`, { method: 'DELETE' });
    }
  });

  it('fails closed: when the privileges cannot be read, no list is given', async () => {
    // Once the cached privileges expire, Dataverse is down for them.
    server.clock.advance(5 * 60_000 + 1);
    server.emulator!.faults.add({ kind: 'unavailable', count: 20, match: { pathContains: 'RetrieveUserPrivileges' } });
    try {
      const c = await connect(server, 'alice', 'service-cx', 'modern');
      clients.push(c);
      await expect(c.listTools()).rejects.toThrow(/privileges could not be read/);
    } finally {
      server.emulator!.faults.clear();
    }
  });
});
