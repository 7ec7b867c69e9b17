import { z } from 'zod';

import { contains, or } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { tableAllowed } from '../dataverse/tableAccess.js';
import { entityArg, recordTable } from './recordsData.js';

/** Tables searched when the caller names none (those of them this agent allows). */
const DEFAULT_TABLES = ['account', 'contact', 'lead', 'opportunity', 'incident'];
/** Columns searched besides the primary name, where the table has them. */
const ALSO_SEARCHED = ['emailaddress1', 'companyname', 'ticketnumber', 'accountnumber'];

const Hit = z.object({ table: z.string(), id: z.string(), name: z.string(), matched: z.string().describe('The column the term was found in') });

/**
 * `search_entities` (search_entities reference): finds records by name (and e-mail, company,
 * number) across the allowed tables, so a later call can use the id. One request per table, in
 * parallel; the term is a literal inside `contains()`, never query text.
 */
export const searchEntities = defineTool({
  name: 'search_entities',
  kind: 'read',
  title: 'Search records',
  description: 'Finds records whose name (or e-mail, company or number) contains a term, across the allowed tables or the ones named, and returns their ids. Use it to resolve a name before calling a tool that needs an id.',
  input: z.object({
    searchTerm: z.string().trim().min(2).max(100).describe('Text to look for, e.g. part of a name or an e-mail address.'),
    entityLogicalNames: z.array(entityArg).min(1).max(8).optional().describe('Tables to search; default: account, contact, lead, opportunity and incident where this agent allows them.'),
    topPerTable: z.number().int().min(1).max(25).default(5).describe('Matches per table (1-25, default 5).'),
  }),
  aliases: { query: 'searchTerm', search: 'searchTerm', entityLogicalName: 'entityLogicalNames' },
  output: z.object({ results: z.array(Hit), searched: z.array(z.string()), notes: z.array(z.string()) }),
  async run(args, ctx) {
    const tables = args.entityLogicalNames ?? DEFAULT_TABLES.filter((t) => tableAllowed(ctx, t));
    if (!tables.length) throw new ToolError(`None of the default tables is available on this agent; name the tables to search (${ctx.agent.tables.join(', ')}).`, 'invalid_argument');
    const notes: string[] = [];
    // A default table this organisation lacks is skipped (and said); a named one is an error.
    const infos = (
      await Promise.all(
        [...new Set(tables)].map((t) =>
          recordTable(ctx, t).catch((err: unknown) => {
            if (args.entityLogicalNames || !(err instanceof ToolError) || err.code !== 'not_found') throw err;
            notes.push(`This organisation has no ${t} table.`);
            return undefined;
          }),
        ),
      )
    ).filter((i) => i !== undefined);
    const perTable = await Promise.all(
      infos.map(async (info) => {
        const columns = [info.primaryName, ...ALSO_SEARCHED].filter((c, i, all) => c && info.attributes.get(c)?.type === 'String' && all.indexOf(c) === i);
        if (!columns.length) {
          notes.push(`${info.logicalName} has no text column to search.`);
          return [];
        }
        const page = await ctx.dataverse.list(info.entitySetName, { select: [info.primaryId, ...columns], filter: or(...columns.map((c) => contains(c, args.searchTerm))), orderby: [{ property: columns[0]! }], top: args.topPerTable });
        const term = args.searchTerm.toLowerCase();
        return page.rows.map((r) => ({
          table: info.logicalName,
          id: String(r[info.primaryId] ?? ''),
          name: typeof r[info.primaryName] === 'string' ? (r[info.primaryName] as string) : '',
          matched: columns.find((c) => typeof r[c] === 'string' && (r[c] as string).toLowerCase().includes(term)) ?? columns[0]!,
        }));
      }),
    );
    const results = perTable.flat();
    const searched = infos.map((i) => i.logicalName);
    return {
      data: { results, searched, notes },
      text: results.length
        ? `${results.length} match(es) for "${args.searchTerm}": ${results.slice(0, 15).map((r) => `${r.name || r.id} (${r.table} ${r.id})`).join('; ')}${results.length > 15 ? '; …' : ''}.`
        : `Nothing in ${searched.join(', ')} matches "${args.searchTerm}".`,
      records: results.map((r) => ({ table: r.table, id: r.id, name: r.name })),
    };
  },
});
