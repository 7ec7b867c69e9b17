import { queryError } from '../dataverseError.js';
import type { FilterNode, Literal, Operand } from './filterParser.js';

/** Evaluates a parsed $filter against plain objects (metadata queries run in memory, not in SQL). */
export function evaluateFilter(node: FilterNode, obj: Readonly<Record<string, unknown>>): boolean {
  switch (node.kind) {
    case 'and':
      return evaluateFilter(node.left, obj) && evaluateFilter(node.right, obj);
    case 'or':
      return evaluateFilter(node.left, obj) || evaluateFilter(node.right, obj);
    case 'not':
      return !evaluateFilter(node.operand, obj);
    case 'boolPath':
      return valueAt(obj, node.segments) === true;
    case 'compare': {
      const l = operandValue(node.left, obj);
      const r = operandValue(node.right, obj);
      const c = compare(l, r);
      switch (node.op) {
        case 'eq':
          return c === 0;
        case 'ne':
          return c !== 0;
        case 'gt':
          return c !== null && c > 0;
        case 'ge':
          return c !== null && c >= 0;
        case 'lt':
          return c !== null && c < 0;
        case 'le':
          return c !== null && c <= 0;
      }
      return false;
    }
    case 'call': {
      const [a, b] = node.args;
      if (!a || !b) return false;
      const hay = operandValue(a, obj);
      const needle = operandValue(b, obj);
      if (typeof hay !== 'string' || typeof needle !== 'string') return false;
      const h = hay.toLowerCase();
      const n = needle.toLowerCase();
      return node.name === 'contains' ? h.includes(n) : node.name === 'startswith' ? h.startsWith(n) : h.endsWith(n);
    }
    default:
      throw queryError(`This $filter expression is not supported in metadata queries.`);
  }
}

function valueAt(obj: Readonly<Record<string, unknown>>, segments: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const s of segments) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

function literalValue(l: Literal): unknown {
  switch (l.type) {
    case 'null':
      return null;
    case 'enum':
      return l.value;
    default:
      return l.value;
  }
}

function operandValue(o: Operand, obj: Readonly<Record<string, unknown>>): unknown {
  return o.kind === 'literal' ? literalValue(o.literal) : valueAt(obj, o.segments);
}

/** null when incomparable; case-insensitive for strings, as Dataverse metadata names are. */
function compare(a: unknown, b: unknown): number | null {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b ? 0 : null;
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : null;
  return null;
}
