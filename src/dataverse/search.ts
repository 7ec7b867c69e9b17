import type { Filter } from './odata.js';
import { ODataBuildError } from './odata.js';

/**
 * Dataverse search (the org's relevance search, `POST /api/search/v2.0/query`, Dataverse Search
 * query, https://learn.microsoft.com/power-apps/developer/data-platform/search/query). The search
 * text is built from words only: every character the simple syntax treats as an operator
 * (`+ - & | ! ( ) { } [ ] ^ " ~ * ? : \ /`) is escaped with a backslash, so no caller can turn a
 * word into an operator. Entity filters are `Filter`s, built by odata.ts from escaped literals.
 */

const BRAND = Symbol('search.text');

export interface SearchText {
  readonly [BRAND]: true;
  readonly text: string;
}

/** "Search term must be at least one character long and has a 100 character limit." */
export const MAX_SEARCH_CHARS = 100;
const SPECIAL = /[+\-&|!(){}[\]^"~*?:\\/]/g;

/** Words joined by spaces (under the default `searchmode: any`, a result matches any of them), cut to the 100-character limit at a word boundary. */
export function searchWords(words: readonly string[]): SearchText {
  let text = '';
  for (const w of words) {
    const escaped = w.replace(/\s+/g, ' ').trim().replace(SPECIAL, (c) => `\\${c}`);
    if (!escaped) continue;
    const next = text ? `${text} ${escaped}` : escaped;
    if (next.length > MAX_SEARCH_CHARS) break;
    text = next;
  }
  if (!text) throw new ODataBuildError('a search needs at least one word');
  return { [BRAND]: true, text };
}

export interface SearchEntity {
  /** Logical name of a table enabled for search. */
  name: string;
  /** Columns returned as `Attributes` (default: the primary name). */
  selectColumns?: readonly string[];
  /** Columns searched (default: the primary name). */
  searchColumns?: readonly string[];
  filter?: Filter;
}

export interface SearchRequest {
  search: SearchText;
  entities?: readonly SearchEntity[];
  top?: number;
  skip?: number;
  count?: boolean;
  searchMode?: 'any' | 'all';
}

/** One `QueryResult` of the response's `Value`. */
export interface SearchHit {
  id: string;
  entityName: string;
  attributes: Record<string, unknown>;
  /** Column → fragments with `{crmhit}…{/crmhit}` around the matched words. */
  highlights: Record<string, string[]>;
  score: number;
}

export interface SearchResults {
  hits: SearchHit[];
  /** -1 unless `count` was asked for. */
  count: number;
}

const NAME = /^[a-z_][a-z0-9_]{0,63}$/;

/** The request body: `entities` and `options` travel as JSON strings, as the operation takes them. */
export function searchBody(request: SearchRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { search: request.search.text };
  if (request.entities) {
    body['entities'] = JSON.stringify(
      request.entities.map((e) => {
        for (const n of [e.name, ...(e.selectColumns ?? []), ...(e.searchColumns ?? [])]) if (!NAME.test(n)) throw new ODataBuildError(`invalid name: ${JSON.stringify(n.slice(0, 64))}`);
        return { name: e.name, ...(e.selectColumns && { selectColumns: e.selectColumns }), ...(e.searchColumns && { searchColumns: e.searchColumns }), ...(e.filter && { filter: e.filter.text }) };
      }),
    );
  }
  if (request.top !== undefined) body['top'] = Math.max(0, Math.min(100, Math.floor(request.top)));
  if (request.skip !== undefined) body['skip'] = Math.max(0, Math.floor(request.skip));
  if (request.count) body['count'] = true;
  if (request.searchMode) body['options'] = JSON.stringify({ searchmode: request.searchMode });
  return body;
}

/** Reads the response: `{ "response": "<escaped JSON>" }` whose `Value` lists the hits. */
export function parseSearchResponse(body: unknown): SearchResults | { error: string } {
  const raw = (body as { response?: unknown } | undefined)?.response;
  let parsed: { Error?: unknown; Value?: unknown; Count?: unknown };
  try {
    parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as typeof parsed;
  } catch {
    return { error: 'Dataverse search returned a response that is not JSON.' };
  }
  if (!parsed || typeof parsed !== 'object') return { error: 'Dataverse search returned no results object.' };
  const err = parsed.Error as { message?: unknown; Message?: unknown } | null | undefined;
  if (err) return { error: `Dataverse search reported an error: ${String(err.message ?? err.Message ?? 'unknown').slice(0, 300)}` };
  const hits: SearchHit[] = [];
  for (const v of Array.isArray(parsed.Value) ? (parsed.Value as Array<Record<string, unknown>>) : []) {
    if (typeof v['Id'] !== 'string' || typeof v['EntityName'] !== 'string') continue;
    hits.push({
      id: v['Id'].toLowerCase(),
      entityName: v['EntityName'],
      attributes: v['Attributes'] && typeof v['Attributes'] === 'object' ? (v['Attributes'] as Record<string, unknown>) : {},
      highlights: v['Highlights'] && typeof v['Highlights'] === 'object' ? (v['Highlights'] as Record<string, string[]>) : {},
      score: typeof v['Score'] === 'number' ? v['Score'] : 0,
    });
  }
  return { hits, count: typeof parsed.Count === 'number' ? parsed.Count : -1 };
}
