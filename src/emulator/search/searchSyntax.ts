import { invalidArgument } from '../dataverseError.js';

/**
 * The `search` parameter of Dataverse search, parsed into terms and operators (Dataverse Search
 * query, search parameter, https://learn.microsoft.com/power-apps/developer/data-platform/search/query):
 * simple syntax `+` AND, `|` OR, `-` NOT, `( )` precedence, a trailing `*` wildcard, `" "` exact
 * phrases, and `\` escaping any of `+ - & | ! ( ) { } [ ] ^ " ~ * ? : \ /`. With
 * `querytype: lucene` also `AND` / `&&`, `OR` / `||`, `NOT` / `!` and term boosts (`rock^2`).
 *
 * Terms are analysed as the default analyzer does (Unicode word segmentation, lower case: "Custom
 * column analyzers for Dataverse Search", https://learn.microsoft.com/power-apps/developer/data-platform/search/custom-search-analyzer),
 * and frequently used words such as "of" and "or" are removed from the search term, as that page
 * says the engine does. A term is therefore only ever letters and digits: the full-text query made
 * from it cannot carry an operator of its own.
 */

export type SearchNode =
  | { kind: 'term'; tokens: string[]; prefix: boolean; boost: number }
  | { kind: 'all' }
  | { kind: 'and'; children: SearchNode[] }
  | { kind: 'or'; children: SearchNode[] }
  | { kind: 'not'; child: SearchNode };

export interface SyntaxOptions {
  /** `all`: every term must match; `any` (default): any term may. */
  searchMode: 'any' | 'all';
  queryType: 'simple' | 'lucene';
}

/** Lucene's classic English stop words (the default analyzer's "frequently used words"). */
const STOP_WORDS = new Set(
  'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(' '),
);

/** Letters, digits and private-use characters make words, as SQLite's unicode61 tokenizer sees them. */
const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;

export function analyse(text: string): string[] {
  return (text.toLowerCase().match(TOKEN) ?? []).map((t) => t);
}

type Tok =
  | { t: 'word'; text: string; prefix: boolean; boost: number }
  | { t: 'phrase'; text: string; boost: number }
  | { t: 'and' | 'or' | 'not' | 'open' | 'close' };

function unsupported(what: string): never {
  throw invalidArgument(`${what} is not supported by the local Dataverse emulator's search; use simple terms, phrases, + | - and a trailing *.`);
}

function lex(input: string, lucene: boolean): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const atTermStart = () => out.length === 0 || out[out.length - 1]!.t === 'and' || out[out.length - 1]!.t === 'or' || out[out.length - 1]!.t === 'not' || out[out.length - 1]!.t === 'open' || /\s/.test(input[i - 1] ?? ' ');
  const readBoost = (): number => {
    if (input[i] !== '^') return 1;
    if (!lucene) return 1;
    const m = /^\^(\d+(?:\.\d+)?)/.exec(input.slice(i));
    if (!m) throw invalidArgument("A term boost needs a number after '^', e.g. rock^2.");
    i += m[0].length;
    return Number(m[1]);
  };
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(') {
      out.push({ t: 'open' });
      i++;
      continue;
    }
    if (ch === ')') {
      out.push({ t: 'close' });
      i++;
      continue;
    }
    if (ch === '|') {
      out.push({ t: 'or' });
      i += input[i + 1] === '|' ? 2 : 1;
      continue;
    }
    if (ch === '+' || (ch === '&' && input[i + 1] === '&')) {
      out.push({ t: 'and' });
      i += ch === '&' ? 2 : 1;
      continue;
    }
    if ((ch === '-' || (lucene && ch === '!')) && atTermStart()) {
      out.push({ t: 'not' });
      i++;
      continue;
    }
    if (ch === '"') {
      let text = '';
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        text += input[i];
        i++;
      }
      if (input[i] !== '"') throw invalidArgument('The search term has an unterminated quotation mark.');
      i++;
      if (lucene && input[i] === '~') unsupported('Proximity search');
      out.push({ t: 'phrase', text, boost: readBoost() });
      continue;
    }
    if (lucene && ch === '/') unsupported('Regular expression search');
    let text = '';
    let prefix = false;
    while (i < input.length) {
      const c = input[i]!;
      if (c === '\\' && i + 1 < input.length) {
        text += input[i + 1];
        i += 2;
        continue;
      }
      if (/\s/.test(c) || c === '(' || c === ')' || c === '|' || c === '+' || c === '"') break;
      if (c === '&' && input[i + 1] === '&') break;
      if (c === '*') {
        const next = input[i + 1];
        if (next === undefined || /\s/.test(next) || next === ')' || next === '|' || next === '+') {
          prefix = true;
          i++;
          break;
        }
        if (lucene) unsupported('A wildcard inside a term');
      }
      if (lucene && c === '~') unsupported('Fuzzy search');
      if (c === '^' && lucene) break;
      if (lucene && c === '?') unsupported('A single-character wildcard');
      text += c;
      i++;
    }
    const boost = readBoost();
    if (lucene && !prefix && (text === 'AND' || text === 'OR' || text === 'NOT')) {
      out.push({ t: text === 'AND' ? 'and' : text === 'OR' ? 'or' : 'not' });
      continue;
    }
    if (text === '' && prefix) {
      out.push({ t: 'word', text: '*', prefix: true, boost });
      continue;
    }
    if (text !== '' || prefix) out.push({ t: 'word', text, prefix, boost });
  }
  return out;
}

/**
 * Parses the search text. Whitespace between terms means OR under `searchmode: any` and AND under
 * `all`; AND binds tighter than OR; NOT excludes what follows it.
 */
export function parseSearch(input: string, options: SyntaxOptions): SearchNode {
  const toks = lex(input, options.queryType === 'lucene');
  let pos = 0;
  const implicit: 'and' | 'or' = options.searchMode === 'all' ? 'and' : 'or';

  const group = (depth: number): SearchNode => {
    if (depth > 32) throw invalidArgument('The search term nests parentheses too deeply.');
    // Clauses joined by operators; OR splits the group into AND-ed segments.
    const segments: SearchNode[][] = [[]];
    let pendingOr = false;
    let pendingAnd = false;
    let expectClause = true;
    while (pos < toks.length) {
      const tok = toks[pos]!;
      if (tok.t === 'close') break;
      if (tok.t === 'or') {
        pendingOr = true;
        pos++;
        continue;
      }
      if (tok.t === 'and') {
        pendingAnd = true;
        pos++;
        continue;
      }
      const clause = unary(depth);
      if (clause === undefined) continue;
      if (!expectClause && (pendingOr || (implicit === 'or' && !pendingAnd))) segments.push([]);
      segments[segments.length - 1]!.push(clause);
      pendingOr = false;
      pendingAnd = false;
      expectClause = false;
    }
    const ands = segments.filter((s) => s.length > 0).map((s) => (s.length === 1 ? s[0]! : { kind: 'and' as const, children: s }));
    if (ands.length === 0) return { kind: 'or', children: [] };
    return ands.length === 1 ? ands[0]! : { kind: 'or', children: ands };
  };

  const unary = (depth: number): SearchNode | undefined => {
    const tok = toks[pos]!;
    if (tok.t === 'not') {
      pos++;
      if (pos >= toks.length) return undefined;
      const child = unary(depth);
      return child === undefined ? undefined : { kind: 'not', child };
    }
    if (tok.t === 'open') {
      pos++;
      const inner = group(depth + 1);
      if (toks[pos]?.t !== 'close') throw invalidArgument('The search term has an unbalanced parenthesis.');
      pos++;
      return inner;
    }
    pos++;
    if (tok.t === 'word') {
      // Only a bare `*` matches everything; an escaped `\*` is the character, which the analyser drops.
      if (tok.text === '*' && tok.prefix) return { kind: 'all' };
      const tokens = analyse(tok.text);
      if (tokens.length === 0) return undefined;
      // A word the analyser splits (sign-in, customer's) is matched as the phrase of its parts.
      if (tokens.length === 1 && !tok.prefix && STOP_WORDS.has(tokens[0]!)) return undefined;
      return { kind: 'term', tokens, prefix: tok.prefix, boost: tok.boost };
    }
    if (tok.t === 'phrase') {
      const tokens = analyse(tok.text);
      return tokens.length ? { kind: 'term', tokens, prefix: false, boost: tok.boost } : undefined;
    }
    if (tok.t === 'close') throw invalidArgument('The search term has an unbalanced parenthesis.');
    return undefined;
  };

  const root = group(0);
  if (pos < toks.length) throw invalidArgument('The search term has an unbalanced parenthesis.');
  return root;
}

/** The full-text (SQLite FTS4) phrase for one term: quoted, so nothing in it is an operator. */
export function ftsPhrase(term: Extract<SearchNode, { kind: 'term' }>): string {
  const tokens = term.tokens.slice();
  if (term.prefix) tokens[tokens.length - 1] = `${tokens[tokens.length - 1]}*`;
  return `"${tokens.join(' ')}"`;
}

/** Every term of the tree (each is queried once). */
export function termsOf(node: SearchNode, out: Array<Extract<SearchNode, { kind: 'term' }>> = []): Array<Extract<SearchNode, { kind: 'term' }>> {
  switch (node.kind) {
    case 'term':
      out.push(node);
      break;
    case 'and':
    case 'or':
      for (const c of node.children) termsOf(c, out);
      break;
    case 'not':
      termsOf(node.child, out);
      break;
    case 'all':
      break;
  }
  return out;
}
