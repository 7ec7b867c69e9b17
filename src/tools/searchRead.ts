import type { Row } from '../dataverse/client.js';
import { guid, inList } from '../dataverse/odata.js';
import { type SearchEntity, searchWords } from '../dataverse/search.js';
import { type ToolContext, ToolError } from './defineTool.js';

const WORDS = /[\p{L}\p{N}][\p{L}\p{N}'-]*/gu;

/** The words of a keyword query, or the refusal a model can act on when it has none. */
export function queryWords(query: string): string[] {
  const words = query.match(WORDS) ?? [];
  if (words.length === 0) throw new ToolError('The query has no words to search for.', 'invalid_argument');
  return words;
}

/**
 * Dataverse search over one table, then the hits read back as the user in the search's order, each
 * with its score: the index lags behind writes and returns few columns, so the rows come from the
 * Web API. Two requests (one when nothing matches).
 */
export async function searchAndRead(
  ctx: ToolContext,
  words: readonly string[],
  search: SearchEntity,
  read: { entitySet: string; idField: string; select: readonly string[] },
  top: number,
): Promise<Array<{ row: Row; score: number }>> {
  const hits = (await ctx.dataverse.search({ search: searchWords(words), entities: [search], top })).hits;
  if (hits.length === 0) return [];
  const ids = hits.map((h) => h.id.toLowerCase());
  const page = await ctx.dataverse.list(read.entitySet, { select: read.select, filter: inList(read.idField, ids.map((id) => guid(id))), top: ids.length }, { maxRows: ids.length });
  const byId = new Map(page.rows.map((r) => [String(r[read.idField]).toLowerCase(), r]));
  return hits.flatMap((h) => {
    const row = byId.get(h.id.toLowerCase());
    return row ? [{ row, score: h.score }] : [];
  });
}
