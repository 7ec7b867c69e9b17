/**
 * Milliseconds since the epoch. Everything that reasons about time (token lifetimes, session and
 * confirmation expiry, "last N days" filters, the emulator's seeded dates) takes one of these, so a
 * test can pin the whole product to any instant.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
