import { queryError } from '../dataverseError.js';

/**
 * A real parser for the OData $filter dialect Dataverse accepts: eq ne gt ge lt le, and or not,
 * parentheses, contains/startswith/endswith, Microsoft.Dynamics.CRM query functions and any/all
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows). A quote
 * inside a string literal is doubled ('O''Bryan', filter-rows, Manage single quotes). Literals stay
 * typed values in the tree; they reach SQL only as bound parameters.
 */

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number; integer: boolean; raw: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' }
  | { type: 'guid'; value: string }
  | { type: 'datetime'; value: string }
  | { type: 'date'; value: string }
  /** Enum literal, e.g. Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist' (metadata queries). */
  | { type: 'enum'; typeName: string; value: string };

export type Operand = { kind: 'path'; segments: string[] } | { kind: 'literal'; literal: Literal };

export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'call'; name: 'contains' | 'startswith' | 'endswith'; args: Operand[] }
  | { kind: 'queryFunction'; name: string; params: Map<string, Literal | Literal[]> }
  | { kind: 'lambda'; path: string[]; op: 'any' | 'all'; variable: string | null; predicate: FilterNode | null }
  | { kind: 'boolPath'; segments: string[] };

type Token =
  | { t: 'punct'; v: string; pos: number }
  | { t: 'ident'; v: string; pos: number }
  | { t: 'lit'; v: Literal; pos: number }
  | { t: 'alias'; v: string; pos: number };

const GUID_AT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z_])/;
const DATETIME_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})(?![0-9A-Za-z_])/;
const DATE_AT = /^\d{4}-\d{2}-\d{2}(?![0-9A-Za-z_:])/;
const NUMBER_AT = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?(?![0-9A-Za-z_])/;
const IDENT_AT = /^[A-Za-z_$][A-Za-z0-9_.]*/;
const ALIAS_AT = /^@[A-Za-z_][A-Za-z0-9_]*/;
const COMPARE_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const UNSUPPORTED_OPS = new Set(['has', 'in', 'add', 'sub', 'mul', 'div', 'mod']);

function syntaxError(text: string, pos: number): never {
  throw queryError(`Syntax error at position ${pos} in '${text}'.`);
}

/**
 * A collection parameter (`PropertyValues=[…]` of In, NotIn, Between…) is read as a JSON array of
 * strings: `Collection(Edm.String)` on https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/in,
 * whose example quotes every value (`['value','value']`); the "filter rows" page uses double
 * quotes, and says an apostrophe inside a value needs them. Unquoted items (a bare GUID or number)
 * fail as the service's JSON reader fails on them.
 */
function collectionTokens(text: string, start: number, out: Token[]): number {
  out.push({ t: 'punct', v: '[', pos: start });
  let i = start + 1;
  const skipSpace = () => {
    while (/\s/.test(text.charAt(i))) i++;
  };
  skipSpace();
  if (text.charAt(i) === ']') {
    out.push({ t: 'punct', v: ']', pos: i });
    return i + 1;
  }
  for (;;) {
    skipSpace();
    const quote = text.charAt(i);
    if (quote !== "'" && quote !== '"') {
      if (i >= text.length) throw queryError(`There is an unterminated array at position ${start} in '${text}'.`);
      throw queryError("Invalid JSON. A comma character ',' was expected in scope 'Array'. Every two elements in an array and properties of an object must be separated by commas.");
    }
    let j = i + 1;
    let value = '';
    for (;;) {
      if (j >= text.length) throw queryError(`There is an unterminated string literal at position ${i} in '${text}'.`);
      const c = text.charAt(j);
      if (quote === '"' && c === '\\') {
        const next = text.charAt(j + 1);
        value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        j += 2;
        continue;
      }
      if (c === quote) {
        if (quote === "'" && text.charAt(j + 1) === "'") {
          value += "'";
          j += 2;
          continue;
        }
        break;
      }
      value += c;
      j++;
    }
    out.push({ t: 'lit', v: { type: 'string', value }, pos: i });
    i = j + 1;
    skipSpace();
    const sep = text.charAt(i);
    if (sep === ']') {
      out.push({ t: 'punct', v: ']', pos: i });
      return i + 1;
    }
    if (sep !== ',') throw queryError("Invalid JSON. A comma character ',' was expected in scope 'Array'. Every two elements in an array and properties of an object must be separated by commas.");
    out.push({ t: 'punct', v: ',', pos: i });
    i++;
  }
}

export function tokenize(text: string, aliases?: ReadonlyMap<string, string>): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      i++;
      continue;
    }
    if (ch === '[') {
      i = collectionTokens(text, i, out);
      continue;
    }
    if ('(),/:=]'.includes(ch)) {
      out.push({ t: 'punct', v: ch, pos: i });
      i++;
      continue;
    }
    if (ch === "'") {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= text.length) throw queryError(`There is an unterminated string literal at position ${i} in '${text}'.`);
        const c = text.charAt(j);
        if (c === "'") {
          if (text.charAt(j + 1) === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += c;
        j++;
      }
      out.push({ t: 'lit', v: { type: 'string', value }, pos: i });
      i = j + 1;
      continue;
    }
    const rest = text.slice(i);
    let m = GUID_AT.exec(rest);
    if (m) {
      out.push({ t: 'lit', v: { type: 'guid', value: m[0].toLowerCase() }, pos: i });
      i += m[0].length;
      continue;
    }
    m = DATETIME_AT.exec(rest);
    if (m) {
      out.push({ t: 'lit', v: { type: 'datetime', value: m[0] }, pos: i });
      i += m[0].length;
      continue;
    }
    m = DATE_AT.exec(rest);
    if (m) {
      out.push({ t: 'lit', v: { type: 'date', value: m[0] }, pos: i });
      i += m[0].length;
      continue;
    }
    m = NUMBER_AT.exec(rest);
    if (m) {
      const raw = m[0].replace(/[mMdDfFlL]$/, '');
      out.push({ t: 'lit', v: { type: 'number', value: Number(raw), integer: /^-?\d+$/.test(raw), raw }, pos: i });
      i += m[0].length;
      continue;
    }
    m = ALIAS_AT.exec(rest);
    if (m) {
      const aliased = aliases?.get(m[0]);
      if (aliased === undefined) throw queryError(`The parameter alias '${m[0]}' was not found in the request.`);
      // An alias stands for one literal; tokenize it on its own so it cannot inject operators.
      const inner = tokenize(aliased);
      const first = inner[0];
      if (inner.length !== 1 || !first || first.t !== 'lit') throw queryError(`The value of parameter alias '${m[0]}' is not a literal.`);
      out.push({ t: 'lit', v: first.v, pos: i });
      i += m[0].length;
      continue;
    }
    m = IDENT_AT.exec(rest);
    if (m) {
      const after = i + m[0].length;
      if (text.charAt(after) === "'" && m[0].includes('.')) {
        const end = text.indexOf("'", after + 1);
        if (end === -1) throw queryError(`There is an unterminated string literal at position ${after} in '${text}'.`);
        out.push({ t: 'lit', v: { type: 'enum', typeName: m[0], value: text.slice(after + 1, end) }, pos: i });
        i = end + 1;
        continue;
      }
      out.push({ t: 'ident', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    throw queryError(`Syntax error: character '${ch}' is not valid at position ${i} in '${text}'.`);
  }
  return out;
}

const MAX_FILTER_LENGTH = 32_768;
const MAX_DEPTH = 100;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  private isPunct(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.t === 'punct' && t.v === v;
  }

  private isIdent(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.t === 'ident' && t.v.toLowerCase() === v;
  }

  private expectPunct(v: string): void {
    const t = this.peek();
    if (t?.t !== 'punct' || t.v !== v) syntaxError(this.text, t?.pos ?? this.text.length);
    this.i++;
  }

  parse(): FilterNode {
    if (this.tokens.length === 0) throw queryError(`The $filter expression is empty.`);
    const node = this.parseOr();
    const extra = this.peek();
    if (extra) syntaxError(this.text, extra.pos);
    return node;
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.isIdent('or')) {
      this.i++;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseNot();
    while (this.isIdent('and')) {
      this.i++;
      left = { kind: 'and', left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): FilterNode {
    // Bounded nesting: a hostile filter must not exhaust the stack.
    if (++this.depth > MAX_DEPTH) throw queryError(`The $filter expression is nested too deeply (more than ${MAX_DEPTH} levels).`);
    try {
      if (this.isIdent('not')) {
        this.i++;
        return { kind: 'not', operand: this.parseNot() };
      }
      return this.parseComparison();
    } finally {
      this.depth--;
    }
  }

  private parseComparison(): FilterNode {
    const start = this.peek();
    if (!start) syntaxError(this.text, this.text.length);
    if (start.t === 'punct' && start.v === '(') {
      this.i++;
      const inner = this.parseOr();
      this.expectPunct(')');
      return inner;
    }
    if (start.t === 'ident' && this.isPunct('(', 1)) return this.parseCall();
    const left = this.parseOperand();
    const opTok = this.peek();
    if (opTok?.t === 'ident' && COMPARE_OPS.has(opTok.v)) {
      this.i++;
      const right = this.parseOperand();
      return { kind: 'compare', op: opTok.v as CompareOp, left, right };
    }
    if (opTok?.t === 'ident' && UNSUPPORTED_OPS.has(opTok.v)) {
      throw queryError(`The operator '${opTok.v}' is not supported in $filter.`);
    }
    if (left.kind === 'path') {
      const lambda = this.tryLambda(left.segments);
      if (lambda) return lambda;
      return { kind: 'boolPath', segments: left.segments };
    }
    syntaxError(this.text, opTok?.pos ?? this.text.length);
  }

  /** `nav/any(x: x/prop eq 1)` arrives as path segments ending before '/any'. */
  private tryLambda(segments: string[]): FilterNode | null {
    const last = segments[segments.length - 1];
    if (last !== 'any' && last !== 'all') return null;
    if (!this.isPunct('(')) return null;
    this.i++;
    const path = segments.slice(0, -1);
    if (this.isPunct(')')) {
      this.i++;
      if (last === 'all') throw queryError(`The lambda operator 'all' requires a predicate.`);
      return { kind: 'lambda', path, op: 'any', variable: null, predicate: null };
    }
    const v = this.peek();
    if (v?.t !== 'ident') syntaxError(this.text, v?.pos ?? this.text.length);
    this.i++;
    this.expectPunct(':');
    const predicate = this.parseOr();
    this.expectPunct(')');
    return { kind: 'lambda', path, op: last, variable: v.v, predicate };
  }

  private parseOperand(): Operand {
    const t = this.peek();
    if (!t) syntaxError(this.text, this.text.length);
    if (t.t === 'lit') {
      this.i++;
      return { kind: 'literal', literal: t.v };
    }
    if (t.t === 'ident') {
      const lower = t.v.toLowerCase();
      if (lower === 'true' || lower === 'false') {
        this.i++;
        return { kind: 'literal', literal: { type: 'boolean', value: lower === 'true' } };
      }
      if (lower === 'null') {
        this.i++;
        return { kind: 'literal', literal: { type: 'null' } };
      }
      const segments = [t.v];
      this.i++;
      while (this.isPunct('/')) {
        this.i++;
        const next = this.peek();
        if (next?.t !== 'ident') syntaxError(this.text, next?.pos ?? this.text.length);
        segments.push(next.v);
        this.i++;
      }
      return { kind: 'path', segments };
    }
    syntaxError(this.text, t.pos);
  }

  private parseCall(): FilterNode {
    const nameTok = this.peek();
    if (nameTok?.t !== 'ident') syntaxError(this.text, nameTok?.pos ?? 0);
    this.i += 2; // name and '('
    const name = nameTok.v;
    if (name.startsWith('Microsoft.Dynamics.CRM.')) {
      const params = new Map<string, Literal | Literal[]>();
      while (!this.isPunct(')')) {
        const key = this.peek();
        if (key?.t !== 'ident') syntaxError(this.text, key?.pos ?? this.text.length);
        this.i++;
        this.expectPunct('=');
        params.set(key.v, this.parseParamValue());
        if (this.isPunct(',')) this.i++;
        else if (!this.isPunct(')')) syntaxError(this.text, this.peek()?.pos ?? this.text.length);
      }
      this.i++;
      return { kind: 'queryFunction', name: name.slice('Microsoft.Dynamics.CRM.'.length), params };
    }
    const lower = name.toLowerCase();
    if (lower !== 'contains' && lower !== 'startswith' && lower !== 'endswith') {
      throw queryError(
        `An unknown function with name '${name}' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.`,
      );
    }
    const args: Operand[] = [];
    while (!this.isPunct(')')) {
      args.push(this.parseOperand());
      if (this.isPunct(',')) this.i++;
      else if (!this.isPunct(')')) syntaxError(this.text, this.peek()?.pos ?? this.text.length);
    }
    this.i++;
    if (args.length !== 2) throw queryError(`No function signature for the function with name '${lower}' matches the specified arguments.`);
    return { kind: 'call', name: lower, args };
  }

  private parseParamValue(): Literal | Literal[] {
    if (this.isPunct('[')) {
      this.i++;
      const values: Literal[] = [];
      while (!this.isPunct(']')) {
        const op = this.parseOperand();
        if (op.kind !== 'literal') syntaxError(this.text, this.peek()?.pos ?? this.text.length);
        values.push(op.literal);
        if (this.isPunct(',')) this.i++;
        else if (!this.isPunct(']')) syntaxError(this.text, this.peek()?.pos ?? this.text.length);
      }
      this.i++;
      return values;
    }
    const op = this.parseOperand();
    if (op.kind !== 'literal') syntaxError(this.text, this.peek()?.pos ?? this.text.length);
    return op.literal;
  }
}

export function parseFilter(text: string, aliases?: ReadonlyMap<string, string>): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) throw queryError(`The $filter expression is longer than ${MAX_FILTER_LENGTH} characters.`);
  return new Parser(text, tokenize(text, aliases)).parse();
}
