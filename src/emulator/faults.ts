/**
 * Injected failures for tests and demos: throttling (429 with Retry-After, as the service protection
 * limits answer, https://learn.microsoft.com/power-apps/developer/data-platform/api-limits), outages,
 * latency and dropped connections.
 */
export interface FaultRule {
  kind: 'throttle' | 'unavailable' | 'latency' | 'drop';
  /** Applies to the next N matching requests, then expires. */
  count?: number;
  /** Or applies to this share (0..1) of matching requests. */
  ratio?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  match?: { method?: string; pathContains?: string };
}

export interface FaultController {
  add(rule: FaultRule): void;
  clear(): void;
  readonly active: readonly FaultRule[];
}

const KINDS = new Set(['throttle', 'unavailable', 'latency', 'drop']);

/** Validates a rule received over HTTP or from code; throws a readable message on nonsense. */
export function validateFaultRule(value: unknown): FaultRule {
  if (typeof value !== 'object' || value === null) throw new Error('A fault rule must be a JSON object.');
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string' || !KINDS.has(v.kind)) throw new Error(`kind must be one of ${[...KINDS].join(', ')}.`);
  const rule: FaultRule = { kind: v.kind as FaultRule['kind'] };
  const nonNegative = (name: string): number | undefined => {
    const x = v[name];
    if (x === undefined) return undefined;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new Error(`${name} must be a non-negative number.`);
    return x;
  };
  const count = nonNegative('count');
  if (count !== undefined) {
    if (!Number.isInteger(count)) throw new Error('count must be an integer.');
    rule.count = count;
  }
  const ratio = nonNegative('ratio');
  if (ratio !== undefined) {
    if (ratio > 1) throw new Error('ratio must be between 0 and 1.');
    rule.ratio = ratio;
  }
  const retryAfter = nonNegative('retryAfterSeconds');
  if (retryAfter !== undefined) rule.retryAfterSeconds = retryAfter;
  const latency = nonNegative('latencyMs');
  if (latency !== undefined) rule.latencyMs = latency;
  if (v.match !== undefined) {
    if (typeof v.match !== 'object' || v.match === null) throw new Error('match must be an object.');
    const m = v.match as Record<string, unknown>;
    rule.match = {};
    if (m.method !== undefined) {
      if (typeof m.method !== 'string') throw new Error('match.method must be a string.');
      rule.match.method = m.method;
    }
    if (m.pathContains !== undefined) {
      if (typeof m.pathContains !== 'string') throw new Error('match.pathContains must be a string.');
      rule.match.pathContains = m.pathContains;
    }
  }
  return rule;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number | undefined;
}

export class Faults implements FaultController {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    const r = validateFaultRule(rule);
    this.rules.push({ rule: r, remaining: r.count });
  }

  clear(): void {
    this.rules = [];
  }

  get active(): readonly FaultRule[] {
    return this.rules.map((r) => (r.remaining === undefined ? r.rule : { ...r.rule, count: r.remaining }));
  }

  /** The rules that fire for this request; counted rules are consumed. */
  take(method: string, path: string): FaultRule[] {
    const fired: FaultRule[] = [];
    for (const r of this.rules) {
      const m = r.rule.match;
      if (m?.method && m.method.toUpperCase() !== method.toUpperCase()) continue;
      if (m?.pathContains && !path.includes(m.pathContains)) continue;
      if (r.remaining !== undefined) {
        if (r.remaining <= 0) continue;
        r.remaining--;
        fired.push(r.rule);
      } else if (r.rule.ratio !== undefined) {
        if (Math.random() < r.rule.ratio) fired.push(r.rule);
      } else {
        fired.push(r.rule);
      }
    }
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    return fired;
  }
}
