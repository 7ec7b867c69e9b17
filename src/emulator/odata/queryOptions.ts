import { queryError } from '../dataverseError.js';

/** System query options as text, before they are resolved against a table. */
export interface QueryOptionsText {
  select?: string[];
  filter?: string;
  orderby?: string;
  top?: number;
  expand: ExpandText[];
  count: boolean;
  skiptoken?: string;
  apply?: string;
}

export interface ExpandText {
  nav: string;
  select?: string[];
  filter?: string;
  orderby?: string;
  top?: number;
  expand: ExpandText[];
}

// The system query options Dataverse supports; "Dataverse doesn't support the $skip query option"
// (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results, query overview:
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview#odata-query-options).
const KNOWN = new Set(['$select', '$filter', '$orderby', '$top', '$expand', '$count', '$skiptoken', '$apply']);

/** Splits on a separator that is outside parentheses, brackets and string literals. */
export function splitTopLevel(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (inString) {
      if (c === "'") {
        if (text.charAt(i + 1) === "'") i++;
        else inString = false;
      }
      continue;
    }
    if (c === "'") inString = true;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw queryError(`Syntax error: unbalanced parentheses in '${text}'.`);
  }
  if (depth !== 0 || inString) throw queryError(`Syntax error: unbalanced parentheses or quotes in '${text}'.`);
  out.push(text.slice(start));
  return out;
}

export function parseTop(value: string, name = '$top'): number {
  if (!/^\d+$/.test(value.trim())) throw queryError(`Invalid value '${value}' for ${name} query option found. The ${name} query option requires a non-negative integer value.`);
  return Number(value.trim());
}

function parseSelect(value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s.length === 0)) throw queryError(`Syntax error in $select: '${value}'.`);
  return items;
}

const MAX_EXPAND_DEPTH = 8;

/**
 * The options a top-level query and an `$expand` share; false when `key` is not one of them. Inside
 * $expand: $select, $filter, $orderby, $top, $expand; "The options $skip, $count, $search, and $levels
 * aren't supported" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables).
 */
function applySharedOption(out: Omit<ExpandText, 'nav'>, key: string, value: string, depth: number): boolean {
  switch (key) {
    case '$select':
      out.select = parseSelect(value);
      return true;
    case '$filter':
      out.filter = value;
      return true;
    case '$orderby':
      out.orderby = value;
      return true;
    case '$top':
      out.top = parseTop(value);
      return true;
    case '$expand':
      out.expand = parseExpand(value, depth);
      return true;
    default:
      return false;
  }
}

export function parseExpand(text: string, depth = 1): ExpandText[] {
  if (text.trim() === '') throw queryError(`Syntax error in $expand: the expression is empty.`);
  if (depth > MAX_EXPAND_DEPTH) throw queryError(`$expand is nested more than ${MAX_EXPAND_DEPTH} levels deep.`);
  return splitTopLevel(text, ',').map((item) => {
    const trimmed = item.trim();
    const open = trimmed.indexOf('(');
    const nav = (open === -1 ? trimmed : trimmed.slice(0, open)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(nav)) throw queryError(`Syntax error in $expand at '${trimmed}'.`);
    const out: ExpandText = { nav, expand: [] };
    if (open === -1) return out;
    if (!trimmed.endsWith(')')) throw queryError(`Syntax error in $expand at '${trimmed}'.`);
    const inner = trimmed.slice(open + 1, -1);
    for (const part of splitTopLevel(inner, ';')) {
      const p = part.trim();
      if (p === '') continue;
      const eq = p.indexOf('=');
      if (eq === -1) throw queryError(`Syntax error in $expand options at '${p}'.`);
      const key = p.slice(0, eq).trim();
      const value = p.slice(eq + 1);
      if (!applySharedOption(out, key, value, depth + 1)) throw queryError(`The query option '${key}' is not supported inside $expand.`);
    }
    return out;
  });
}

export function parseQueryOptions(params: URLSearchParams): QueryOptionsText {
  const out: QueryOptionsText = { expand: [], count: false };
  for (const [key, value] of params) {
    if (!key.startsWith('$')) continue;
    if (key === '$skip') throw queryError(`The query parameter $skip is not supported`);
    if (!KNOWN.has(key)) throw queryError(`The query parameter ${key} is not supported`);
    if (applySharedOption(out, key, value, 1)) continue;
    switch (key) {
      case '$count':
        if (value !== 'true' && value !== 'false') throw queryError(`'${value}' is not a valid count option.`);
        out.count = value === 'true';
        break;
      case '$skiptoken':
        out.skiptoken = value;
        break;
      case '$apply':
        out.apply = value;
        break;
    }
  }
  return out;
}

/** Parameter aliases (`@p1=...`) referenced from $filter. */
export function parameterAliases(params: URLSearchParams): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of params) if (k.startsWith('@')) out.set(k, v);
  return out;
}
