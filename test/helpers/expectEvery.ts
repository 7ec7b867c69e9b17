import { expect } from 'vitest';

/** Checks every item, and that there is at least one: a check over an empty list proves nothing. */
export function expectEvery<T>(items: readonly T[], check: (item: T) => void, what = 'matching rows'): void {
  expect(items.length, `expected at least one of ${what}`).toBeGreaterThan(0);
  for (const item of items) check(item);
}
