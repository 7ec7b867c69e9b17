import { inject } from 'vitest';

/**
 * The pinned clock every test server runs on: it stands still unless a test moves it, so nothing
 * a test asserts depends on the hour or date it happens to run at. `TEST_NOW` (an ISO 8601 instant)
 * picks the instant for a whole run, e.g. `TEST_NOW=2026-12-01T23:59:00Z npm test`.
 */
export class TestClock {
  private at: number;

  constructor(start: number | string | Date = inject('testNow')) {
    this.at = new Date(start).getTime();
    if (Number.isNaN(this.at)) throw new Error(`not an instant: ${String(start)}`);
  }

  /** Bound, so it can be handed around as a `Clock`. */
  readonly now = (): number => this.at;

  date(): Date {
    return new Date(this.at);
  }

  set(instant: number | string | Date): void {
    this.at = new Date(instant).getTime();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}

/** Start of the UTC day `days` before the clock's day: where Dataverse's `LastXDays` window opens. */
export function utcDayStart(now: Date, daysBack = 0): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysBack);
}
