import type { Clock } from '../config/clock.js';

interface Entry<V> {
  value: Promise<V>;
  expiresAt: number;
}

/**
 * Values that are costly to read and rarely change (a user's privileges, table metadata), kept for
 * a while and loaded once however many callers ask at the same time. A failed load is forgotten at
 * once, so the next caller tries again.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: Clock,
    private readonly maxEntries = 10_000,
    /** Told whether each lookup was answered from the cache (telemetry). */
    private readonly onLookup?: (hit: boolean) => void,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    const fresh = hit !== undefined && hit.expiresAt > this.now();
    this.onLookup?.(fresh);
    if (fresh) return hit.value;
    if (this.entries.size >= this.maxEntries) {
      // Oldest first (insertion order): memory stays bounded under many users.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const value = load();
    const entry = { value, expiresAt: this.now() + this.ttlMs };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  /** When the cached value for `key` expires (ms since the epoch), or undefined when there is none. */
  expiresAt(key: string): number | undefined {
    const hit = this.entries.get(key);
    return hit !== undefined && hit.expiresAt > this.now() ? hit.expiresAt : undefined;
  }

  /** Whether a fresh value (or one being loaded) is cached for `key`. */
  has(key: string): boolean {
    const hit = this.entries.get(key);
    return hit !== undefined && hit.expiresAt > this.now();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
