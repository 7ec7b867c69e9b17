import { z } from 'zod';

import { contains } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { describe, tableAllowed } from '../dataverse/tableAccess.js';
import { entityArg, isLookup, recordTable, TABLE_HEADER } from './recordsData.js';

const Candidate = z.object({ table: z.string(), id: z.string(), name: z.string(), value: z.string().describe('What to pass as the lookup value ("table:GUID")') });

/**
 * `search_lookup_records` (search_lookup_records reference): the rows a lookup column can point
 * to whose name contains a term, e.g. the owner or the parent account to set in
 * update_entity_record. Targets outside the agent's allowlist are not searched (and named).
 */
export const searchLookupRecords = defineTool({
  name: 'search_lookup_records',
  kind: 'read',
  title: 'Search lookup values',
  description: 'Finds the records a lookup column can point to (e.g. account.primarycontactid, incident.customerid) whose name contains a term, with the value to pass when setting that column.',
  input: z.object({
    entityLogicalName: entityArg,
    columnName: z.string().trim().toLowerCase().min(1).max(100).describe('The lookup column, e.g. "parentcustomerid" or "ownerid".'),
    searchTerm: z.string().trim().min(1).max(100).describe('Text the target record\'s name contains.'),
    top: z.number().int().min(1).max(25).default(10).describe('Candidates per target table (1-25, default 10).'),
  }),
  aliases: { table_name: 'entityLogicalName', column: 'columnName', attribute: 'columnName', search: 'searchTerm' },
  headers: TABLE_HEADER,
  output: z.object({ candidates: z.array(Candidate), skipped: z.array(z.string()).describe('Target tables not available on this agent') }),
  async run(args, ctx) {
    const info = await recordTable(ctx, args.entityLogicalName);
    const name = args.columnName.replace(/^_(.+)_value$/, '$1');
    const attr = info.attributes.get(name);
    if (!attr || !isLookup(attr)) throw new ToolError(`${info.logicalName}.${name} is not a lookup column.`, 'invalid_argument');
    const targets = (attr.targets ?? []).filter((t) => t !== 'owner');
    // Owner lookups take users (and teams): systemuser is searched when the agent allows it.
    if (attr.type === 'Owner' && !targets.includes('systemuser')) targets.push('systemuser');
    const allowed = targets.filter((t) => tableAllowed(ctx, t));
    const skipped = targets.filter((t) => !allowed.includes(t));
    if (!allowed.length) throw new ToolError(`${info.logicalName}.${name} points to ${targets.join(', ')}, none of which this agent allows.`, 'forbidden');
    const lists = await Promise.all(
      allowed.map(async (t) => {
        const target = await describe(ctx, t);
        if (!target.primaryName) return [];
        const page = await ctx.dataverse.list(target.entitySetName, { select: [target.primaryId, target.primaryName], filter: contains(target.primaryName, args.searchTerm), orderby: [{ property: target.primaryName }], top: args.top });
        return page.rows.map((r) => {
          const id = String(r[target.primaryId] ?? '');
          return { table: t, id, name: typeof r[target.primaryName] === 'string' ? (r[target.primaryName] as string) : '', value: `${t}:${id}` };
        });
      }),
    );
    const candidates = lists.flat();
    return {
      data: { candidates, skipped },
      text: candidates.length
        ? `${candidates.length} candidate(s) for ${info.logicalName}.${name}: ${candidates.slice(0, 15).map((c) => `${c.name} (${c.value})`).join('; ')}.`
        : `No ${allowed.join(' or ')} record's name contains "${args.searchTerm}".`,
      records: candidates.map((c) => ({ table: c.table, id: c.id, name: c.name })),
    };
  },
});
