/**
 * Checks a model's text against the facts it was given. What can be checked mechanically is: every
 * sentence cites facts that exist, the whole stays within bounds, and every number, email address,
 * web address and quotation in a sentence appears in the facts that sentence cites. A text that
 * fails any check is not used.
 */

export interface CitedSentence {
  text: string;
  /** Indexes into the facts (0-based). */
  cites: readonly number[];
}

export interface CheckLimits {
  maxChars: number;
  maxSentences: number;
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

const NUMBER = /\d+(?:[.,]\d+)*/g;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const URL_LIKE = /\bhttps?:\/\/[^\s"')<>]+|\bwww\.[^\s"')<>]+/gi;
const QUOTED = /["“]([^"”]{3,})["”]/g;

/** Numeric value of a token as written ("40,000.00" and "40000" are the same number). */
function numbers(text: string): number[] {
  return (text.match(NUMBER) ?? []).map((t) => Number(t.replace(/,(?=\d{3}\b)/g, '').replace(',', '.'))).filter((n) => Number.isFinite(n));
}

function norm(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ');
}

/** What in `sentence` must also be in its facts: numbers, addresses, links and quotations. */
function checkable(sentence: string): { numbers: number[]; literals: string[] } {
  const literals = [...(sentence.match(EMAIL) ?? []), ...(sentence.match(URL_LIKE) ?? []).map((u) => u.replace(/[.,;:]+$/, '')), ...[...sentence.matchAll(QUOTED)].map((m) => m[1] ?? '')];
  // Numbers inside addresses and links are covered by the literal itself.
  let rest = sentence;
  for (const l of literals) rest = rest.split(l).join(' ');
  return { numbers: numbers(rest), literals: literals.filter(Boolean) };
}

export function checkAgainstFacts(sentences: readonly CitedSentence[], facts: readonly string[], limits: CheckLimits): CheckResult {
  if (sentences.length === 0) return { ok: false, reason: 'it returned no sentences' };
  if (sentences.length > limits.maxSentences) return { ok: false, reason: `it returned ${sentences.length} sentences (at most ${limits.maxSentences})` };
  const total = sentences.reduce((n, s) => n + s.text.length, 0);
  if (total > limits.maxChars) return { ok: false, reason: `it returned ${total} characters (at most ${limits.maxChars})` };
  for (const [i, s] of sentences.entries()) {
    if (!s.text.trim()) return { ok: false, reason: `sentence ${i + 1} is empty` };
    if (s.cites.length === 0) return { ok: false, reason: `sentence ${i + 1} cites no fact` };
    const unknown = s.cites.find((c) => !Number.isInteger(c) || c < 0 || c >= facts.length);
    if (unknown !== undefined) return { ok: false, reason: `sentence ${i + 1} cites a fact that was not given` };
    const source = s.cites.map((c) => facts[c] ?? '').join('\n');
    const known = new Set(numbers(source));
    const { numbers: said, literals } = checkable(s.text);
    const invented = said.find((n) => !known.has(n));
    if (invented !== undefined) return { ok: false, reason: `sentence ${i + 1} states ${invented}, which none of its facts contain` };
    const haystack = norm(source);
    const literal = literals.find((l) => !haystack.includes(norm(l)));
    if (literal !== undefined) return { ok: false, reason: `sentence ${i + 1} quotes "${literal.slice(0, 60)}", which none of its facts contain` };
  }
  return { ok: true };
}
