/**
 * A small reader for the Bicep these templates use, for tests: no Bicep compiler or parser installs
 * from the npm registry or Debian. It tokenises the whole language surface that can hide a value
 * (strings with `${}` interpolation and escapes, multi-line strings, comments, brackets), reads
 * the top-level declarations (param, var, resource, module, output, extension, targetScope) with
 * their decorators, and parses object and array literals. Any other expression is kept as its text,
 * with the literals and identifiers found inside it. It rejects what it does not understand
 * (unbalanced brackets, an unterminated string, an unknown statement) instead of guessing.
 */

export type BicepNode =
  | { kind: 'string'; value: string; interpolated: boolean }
  | { kind: 'object'; props: Map<string, BicepNode> }
  | { kind: 'array'; items: BicepNode[] }
  | { kind: 'expr'; text: string; children: BicepNode[]; identifiers: string[] };

export interface Decorator {
  name: string;
  text: string;
}

export type Declaration =
  | { kind: 'param'; name: string; type: string; default: BicepNode | undefined; decorators: Decorator[] }
  | { kind: 'var'; name: string; value: BicepNode; decorators: Decorator[] }
  | { kind: 'output'; name: string; type: string; value: BicepNode; decorators: Decorator[] }
  | { kind: 'resource'; name: string; type: string; existing: boolean; condition: string | undefined; body: BicepNode; decorators: Decorator[] }
  | { kind: 'module'; name: string; path: string; condition: string | undefined; body: BicepNode; decorators: Decorator[] }
  | { kind: 'extension'; name: string }
  | { kind: 'targetScope'; value: BicepNode };

export interface BicepFile {
  declarations: Declaration[];
  /** Every string literal in the file (including those inside expressions and decorators). */
  strings: string[];
}

type Token =
  | { t: 'string'; value: string; interpolated: boolean; raw: string }
  | { t: 'ident'; value: string }
  | { t: 'number'; value: string }
  | { t: 'punct'; value: string }
  | { t: 'newline' };

export class BicepSyntaxError extends Error {}

const PUNCT = ['==', '!=', '<=', '>=', '&&', '||', '??', '=>', '.?', '{', '}', '[', ']', '(', ')', ':', ',', '.', '?', '!', '=', '<', '>', '+', '-', '*', '/', '%', '@', '|', '::'];

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const line = () => source.slice(0, i).split('\n').length;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      tokens.push({ t: 'newline' });
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new BicepSyntaxError(`unterminated comment at line ${line()}`);
      i = end + 2;
    } else if (source.startsWith("'''", i)) {
      const end = source.indexOf("'''", i + 3);
      if (end < 0) throw new BicepSyntaxError(`unterminated multi-line string at line ${line()}`);
      const value = source.slice(i + 3, end);
      tokens.push({ t: 'string', value, interpolated: false, raw: source.slice(i, end + 3) });
      i = end + 3;
    } else if (c === "'") {
      const start = i;
      i++;
      let value = '';
      let interpolated = false;
      for (;;) {
        if (i >= source.length || source[i] === '\n') throw new BicepSyntaxError(`unterminated string at line ${line()}`);
        const ch = source[i]!;
        if (ch === "'") {
          i++;
          break;
        }
        if (ch === '\\') {
          const next = source[i + 1];
          const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", $: '$' };
          if (next === undefined || !(next in escapes)) throw new BicepSyntaxError(`bad escape at line ${line()}`);
          value += escapes[next];
          i += 2;
          continue;
        }
        if (ch === '$' && source[i + 1] === '{') {
          // Interpolation: copy the expression through, minding nested strings and braces.
          interpolated = true;
          let depth = 0;
          const from = i;
          i += 1;
          for (;;) {
            if (i >= source.length) throw new BicepSyntaxError(`unterminated interpolation at line ${line()}`);
            const d = source[i]!;
            if (d === '{') depth++;
            else if (d === '}') {
              depth--;
              if (depth === 0) {
                i++;
                break;
              }
            } else if (d === "'") {
              i++;
              while (i < source.length && source[i] !== "'") i += source[i] === '\\' ? 2 : 1;
            }
            i++;
          }
          value += source.slice(from, i);
          continue;
        }
        value += ch;
        i++;
      }
      tokens.push({ t: 'string', value, interpolated, raw: source.slice(start, i) });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ t: 'ident', value: m[0] });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ t: 'number', value: m[0] });
      i += m[0].length;
    } else {
      const p = PUNCT.find((x) => source.startsWith(x, i));
      if (!p) throw new BicepSyntaxError(`unexpected character ${JSON.stringify(c)} at line ${line()}`);
      tokens.push({ t: 'punct', value: p });
      i += p.length;
    }
  }
  return tokens;
}

class Parser {
  private i = 0;
  readonly strings: string[] = [];

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new BicepSyntaxError('unexpected end of file');
    return t;
  }

  private skipNewlines(): void {
    while (this.peek()?.t === 'newline') this.i++;
  }

  private isPunct(value: string, token = this.peek()): boolean {
    return token?.t === 'punct' && token.value === value;
  }

  private expectPunct(value: string): void {
    const t = this.next();
    if (t.t !== 'punct' || t.value !== value) throw new BicepSyntaxError(`expected ${value}, found ${describe(t)}`);
  }

  private ident(): string {
    const t = this.next();
    if (t.t !== 'ident') throw new BicepSyntaxError(`expected a name, found ${describe(t)}`);
    return t.value;
  }

  private stringLiteral(): string {
    const t = this.next();
    if (t.t !== 'string' || t.interpolated) throw new BicepSyntaxError(`expected a plain string, found ${describe(t)}`);
    this.strings.push(t.value);
    return t.value;
  }

  file(): Declaration[] {
    const out: Declaration[] = [];
    let decorators: Decorator[] = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (!t) return out;
      if (this.isPunct('@')) {
        this.next();
        const name = this.ident();
        const start = this.i;
        let text = name;
        if (this.isPunct('(')) {
          const node = this.value(['newline']);
          text += (node as { text?: string }).text ?? '';
        }
        void start;
        decorators.push({ name, text });
        continue;
      }
      if (t.t !== 'ident') throw new BicepSyntaxError(`expected a declaration, found ${describe(t)}`);
      const keyword = this.ident();
      switch (keyword) {
        case 'targetScope':
          this.expectPunct('=');
          out.push({ kind: 'targetScope', value: this.value(['newline']) });
          break;
        case 'extension':
          out.push({ kind: 'extension', name: this.ident() });
          break;
        case 'param': {
          const name = this.ident();
          const type = this.typeText();
          let def: BicepNode | undefined;
          if (this.isPunct('=')) {
            this.next();
            def = this.value(['newline']);
          }
          out.push({ kind: 'param', name, type, default: def, decorators });
          break;
        }
        case 'var': {
          const name = this.ident();
          this.expectPunct('=');
          out.push({ kind: 'var', name, value: this.value(['newline']), decorators });
          break;
        }
        case 'output': {
          const name = this.ident();
          const type = this.typeText();
          this.expectPunct('=');
          out.push({ kind: 'output', name, type, value: this.value(['newline']), decorators });
          break;
        }
        case 'resource':
        case 'module': {
          const name = this.ident();
          const target = this.stringLiteral();
          let existing = false;
          if (keyword === 'resource' && this.peek()?.t === 'ident' && (this.peek() as { value: string }).value === 'existing') {
            this.next();
            existing = true;
          }
          this.expectPunct('=');
          let condition: string | undefined;
          if (this.peek()?.t === 'ident' && (this.peek() as { value: string }).value === 'if') {
            this.next();
            const cond = this.value(['{']);
            condition = cond.kind === 'expr' ? cond.text : '';
          }
          const body = this.value(['newline']);
          out.push(
            keyword === 'resource'
              ? { kind: 'resource', name, type: target, existing, condition, body, decorators }
              : { kind: 'module', name, path: target, condition, body, decorators },
          );
          break;
        }
        default:
          throw new BicepSyntaxError(`unsupported statement: ${keyword}`);
      }
      decorators = [];
      const after = this.peek();
      if (after && after.t !== 'newline') throw new BicepSyntaxError(`expected the end of the line, found ${describe(after)}`);
    }
  }

  /** A type annotation: a name (string, int, object, bool, array), possibly with `?`. */
  private typeText(): string {
    let text = this.ident();
    if (this.isPunct('?')) {
      this.next();
      text += '?';
    }
    return text;
  }

  /**
   * One value, up to (not including) a terminator at depth 0: `newline`, `,`, a closing bracket,
   * or `{` (for `if (...) {`). Object and array literals standing alone become their nodes.
   */
  value(terminators: readonly string[]): BicepNode {
    const children: BicepNode[] = [];
    const identifiers: string[] = [];
    const parts: string[] = [];
    const single: BicepNode[] = [];
    let count = 0;
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if (t.t === 'newline' && terminators.includes('newline')) break;
      if (t.t === 'punct' && (t.value === ',' || t.value === '}' || t.value === ']' || t.value === ')')) break;
      if (t.t === 'punct' && t.value === '{' && terminators.includes('{') && count > 0) break;
      count++;
      if (t.t === 'newline') {
        this.next();
        continue;
      }
      if (t.t === 'punct' && t.value === '{') {
        const node = this.object();
        single.push(node);
        children.push(node);
        parts.push('{…}');
        continue;
      }
      if (t.t === 'punct' && t.value === '[') {
        const node = this.array();
        single.push(node);
        children.push(node);
        parts.push('[…]');
        continue;
      }
      if (t.t === 'punct' && t.value === '(') {
        this.next();
        parts.push('(');
        for (;;) {
          this.skipNewlines();
          if (this.isPunct(')')) break;
          const arg = this.value([]);
          children.push(arg);
          parts.push(arg.kind === 'expr' ? arg.text : arg.kind === 'string' ? `'${arg.value}'` : arg.kind === 'object' ? '{…}' : '[…]');
          if (arg.kind === 'expr') identifiers.push(...arg.identifiers);
          this.skipNewlines();
          if (this.isPunct(',')) {
            this.next();
            parts.push(',');
          }
        }
        this.expectPunct(')');
        parts.push(')');
        single.push({ kind: 'expr', text: '()', children: [], identifiers: [] }, { kind: 'expr', text: '()', children: [], identifiers: [] });
        continue;
      }
      this.next();
      if (t.t === 'string') {
        this.strings.push(t.value);
        const node: BicepNode = { kind: 'string', value: t.value, interpolated: t.interpolated };
        single.push(node);
        children.push(node);
        parts.push(t.raw);
        for (const m of t.value.matchAll(/\$\{([^}]*)\}/g)) identifiers.push(...(m[1]!.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []));
        continue;
      }
      if (t.t === 'ident') {
        identifiers.push(t.value);
        parts.push(t.value);
        single.push({ kind: 'expr', text: t.value, children: [], identifiers: [t.value] });
        continue;
      }
      parts.push(t.value);
      single.push({ kind: 'expr', text: t.value, children: [], identifiers: [] });
    }
    if (count === 0) throw new BicepSyntaxError(`expected a value, found ${describe(this.peek())}`);
    if (single.length === 1 && single[0]!.kind !== 'expr') return single[0]!;
    return { kind: 'expr', text: parts.join(' '), children, identifiers };
  }

  private object(): BicepNode {
    this.expectPunct('{');
    const props = new Map<string, BicepNode>();
    for (;;) {
      this.skipNewlines();
      if (this.isPunct('}')) break;
      const key = this.next();
      let name: string;
      if (key.t === 'ident') name = key.value;
      else if (key.t === 'string' && !key.interpolated) name = key.value;
      else throw new BicepSyntaxError(`expected a property name, found ${describe(key)}`);
      this.expectPunct(':');
      if (props.has(name)) throw new BicepSyntaxError(`duplicate property ${name}`);
      props.set(name, this.value(['newline']));
      if (this.isPunct(',')) this.next();
    }
    this.expectPunct('}');
    return { kind: 'object', props };
  }

  private array(): BicepNode {
    this.expectPunct('[');
    this.skipNewlines();
    if (this.peek()?.t === 'ident' && (this.peek() as { value: string }).value === 'for') {
      // [for x in xs: body]: the body is what each element looks like.
      const parts: string[] = ['for'];
      this.next();
      while (!this.isPunct(':')) parts.push(describe(this.next()));
      this.next();
      this.skipNewlines();
      const body = this.value(['newline']);
      this.skipNewlines();
      this.expectPunct(']');
      return { kind: 'expr', text: `[${parts.join(' ')}: …]`, children: [body], identifiers: [] };
    }
    const items: BicepNode[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.isPunct(']')) break;
      items.push(this.value(['newline']));
      if (this.isPunct(',')) this.next();
    }
    this.expectPunct(']');
    return { kind: 'array', items };
  }
}

function describe(t: Token | undefined): string {
  if (!t) return 'the end of the file';
  if (t.t === 'newline') return 'a line break';
  if (t.t === 'string') return t.raw;
  return t.value;
}

export function parseBicep(source: string): BicepFile {
  const parser = new Parser(tokenize(source));
  const declarations = parser.file();
  return { declarations, strings: parser.strings };
}

/** Every object, array and string literal under a node, the node included. */
export function* walk(node: BicepNode): Generator<BicepNode> {
  yield node;
  if (node.kind === 'object') for (const v of node.props.values()) yield* walk(v);
  else if (node.kind === 'array') for (const v of node.items) yield* walk(v);
  else if (node.kind === 'expr') for (const c of node.children) yield* walk(c);
}

/** A property path into an object literal (`params.functionAppConfig.runtime`), or undefined. */
export function get(node: BicepNode | undefined, path: string): BicepNode | undefined {
  let current = node;
  for (const key of path.split('.')) {
    if (current?.kind !== 'object') return undefined;
    current = current.props.get(key);
  }
  return current;
}
