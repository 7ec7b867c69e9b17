import { describe, expect, it } from 'vitest';

import { DataverseError } from '../../src/dataverse/errors.js';
import type { OrgMetadata } from '../../src/dataverse/metadata.js';
import type { PrivilegeChecker, PrivilegeNeed } from '../../src/dataverse/privileges.js';
import { DiscoveryFilter } from '../../src/mcp/discovery.js';
import { renameTools } from '../../src/mcp/toolInventory.js';

const tool = (name: string, needs: PrivilegeNeed[]) => ({ descriptor: { name, inputSchema: { type: 'object' as const } }, needs });
const TOOLS = [tool('whoami', []), tool('list_cases', [{ table: 'incident', ops: ['Read'] }]), tool('pick', [{ table: 'queueitem', ops: ['Write'] }])];
const metadata = { preloadPrivileges: async () => undefined } as unknown as OrgMetadata;

/** A checker that grants the tables given, with the privileges fresh until `until`. */
function checker(tables: string[], until: number | undefined, fail?: Error): PrivilegeChecker {
  return {
    holds: async (...needs: PrivilegeNeed[]) => {
      if (fail) throw fail;
      return needs.every((n) => tables.includes(n.table));
    },
    freshUntil: () => until,
  } as unknown as PrivilegeChecker;
}

describe('DiscoveryFilter', () => {
  it('lists what the privileges allow, in the agent order, and shares one answer per set', async () => {
    let now = 1000;
    const f = new DiscoveryFilter(TOOLS, [], () => now);
    const a = await f.listFor('u1', checker(['incident', 'queueitem'], 60_000), metadata);
    const b = await f.listFor('u2', checker(['incident'], 60_000), metadata);
    const c = await f.listFor('u3', checker(['incident'], 60_000), metadata);
    expect(a.list.tools.map((t) => t.name)).toEqual(['whoami', 'list_cases', 'pick']);
    expect(b.list.tools.map((t) => t.name)).toEqual(['whoami', 'list_cases']);
    expect(c.list).toBe(b.list);
    expect(a.digest).not.toBe(b.digest);
    expect(f.digestOf('u1')).toBe(a.digest);
    now = 70_000;
    expect(f.digestOf('u1')).toBeUndefined();
  });

  it('remembers a user\'s set no longer than the privileges it was decided on', async () => {
    let now = 0;
    const f = new DiscoveryFilter(TOOLS, [], () => now, 300_000);
    await f.listFor('u', checker(['incident'], 10_000), metadata);
    now = 9_999;
    expect(f.digestOf('u')).toBeDefined();
    now = 10_000;
    expect(f.digestOf('u')).toBeUndefined();
  });

  it('fails closed when the privileges cannot be read (a refusal is not a pass); a table the org lacks only hides its tools', async () => {
    const f = new DiscoveryFilter(TOOLS, [], () => 0);
    const refused = new DataverseError('forbidden', 'no', 403, undefined, undefined);
    await expect(f.listFor('u', checker([], 1, refused), metadata)).rejects.toBe(refused);
    expect(f.digestOf('u')).toBeUndefined();
    const absent = new DataverseError('not_found', 'no such table', 404, undefined, undefined);
    const only = await f.listFor('u', checker([], 1, absent), metadata);
    expect(only.list.tools.map((t) => t.name)).toEqual(['whoami']);
  });
});

describe('renameTools', () => {
  const names = new Map([
    ['D365_CustomerService_UpdateCase', 'update_case'],
    ['D365_CustomerService_ListCases', 'list_cases'],
    ['chat', 'answer_knowledge_question'],
    ['whoami', 'whoami'],
  ]);
  it('renames whole tool names once, at a sentence end too, and never a plain word', () => {
    expect(renameTools('Call D365_CustomerService_UpdateCase. Then D365_CustomerService_ListCases, then chat.', names)).toBe('Call update_case. Then list_cases, then chat.');
    expect(renameTools('D365_CustomerService_UpdateCaseX and xD365_CustomerService_ListCases stay', names)).toBe('D365_CustomerService_UpdateCaseX and xD365_CustomerService_ListCases stay');
    expect(renameTools('nothing to do', new Map([['a', 'a']]))).toBe('nothing to do');
  });
});
