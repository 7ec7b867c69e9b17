/**
 * The organisation's "now". With an explicit anchor the clock is shifted by a fixed offset (stored in
 * the database), so seeded dates, query functions and new records agree across restarts.
 */
export class Clock {
  constructor(
    readonly offsetMs: number,
    /** The time source the offset applies to (the wall clock unless a test pins one). */
    private readonly source: () => number = Date.now,
  ) {}

  now(): Date {
    return new Date(this.source() + this.offsetMs);
  }
}

/** Dataverse's wire format for DateAndTime: UTC, whole seconds. */
export function toIso(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export function toDateOnly(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}

export function addMonths(d: Date, months: number): Date {
  const r = new Date(d.getTime());
  r.setUTCMonth(r.getUTCMonth() + months);
  return r;
}
