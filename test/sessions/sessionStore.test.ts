import { TableClient } from '@azure/data-tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { SessionStore } from '../../src/sessions/sessionStore.js';
import { openTables } from '../../src/sessions/tableStorage.js';
import { TestClock } from '../helpers/clock.js';
import { uniquePrefix } from '../helpers/harness.js';

let table: TableClient;
beforeAll(async () => {
  table = (await openTables(inject('tablesConnectionString'), uniquePrefix())).sessions;
});

const policy = { idleTtlSeconds: 600, maxTtlSeconds: 3600, touchIntervalSeconds: 60 };
const owner = { agentId: 'sales', tenantId: 't', objectId: 'o', protocolVersion: '2025-11-25' };

async function rowTimestamp(id: string): Promise<string | undefined> {
  const e = await table.getEntity(id, 'session');
  return e.etag;
}

describe('SessionStore over Table Storage', () => {
  it('creates unguessable ids and loads the row back from any store instance', async () => {
    const a = new SessionStore(table, policy);
    const b = new SessionStore(table, policy);
    const s = await a.create({ ...owner, clientInfo: { name: 'c', version: '1' }, clientCapabilities: { elicitation: {} } });
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const loaded = await b.get(s.id);
    expect(loaded).toMatchObject({ agentId: 'sales', tenantId: 't', objectId: 'o', protocolVersion: '2025-11-25', clientInfo: { name: 'c', version: '1' } });
    expect(loaded?.clientCapabilities).toEqual({ elicitation: {} });
    const ids = new Set(await Promise.all(Array.from({ length: 20 }, async () => (await a.create(owner)).id)));
    expect(ids.size).toBe(20);
  });

  it('throttles sliding-expiry writes to the touch interval', async () => {
    let now = new TestClock().now();
    const store = new SessionStore(table, policy, () => now);
    const s = await store.create(owner);
    const etag0 = await rowTimestamp(s.id);
    now += 30_000;
    expect(await store.touch((await store.get(s.id))!)).toBe(false);
    expect(await rowTimestamp(s.id)).toBe(etag0);
    now += 31_000;
    const live = (await store.get(s.id))!;
    expect(await store.touch(live)).toBe(true);
    expect(await rowTimestamp(s.id)).not.toBe(etag0);
    expect((await store.get(s.id))!.expiresAt.getTime()).toBe(now + 600_000);
  });

  it('expires idle sessions, caps total lifetime, and sweeps expired rows', async () => {
    let now = new TestClock().now();
    const store = new SessionStore(table, policy, () => now);
    const idle = await store.create(owner);
    const busy = await store.create(owner);
    // Keep `busy` alive past the idle TTL by touching it every 5 minutes; the hard cap still ends it.
    for (let i = 0; i < 13; i++) {
      now += 300_000;
      const live = await store.get(busy.id);
      if (live) await store.touch(live);
    }
    expect(await store.get(idle.id)).toBeUndefined();
    expect(await store.get(busy.id)).toBeUndefined();

    const stale = await store.create(owner);
    now += 700_000;
    const fresh = await store.create(owner);
    const removed = await store.sweepExpired();
    expect(removed).toBeGreaterThanOrEqual(1);
    await expect(table.getEntity(stale.id, 'session')).rejects.toMatchObject({ statusCode: 404 });
    expect(await store.get(fresh.id)).toBeDefined();
  });

  it('delete is idempotent and refuses malformed ids without a round trip', async () => {
    const store = new SessionStore(table, policy);
    const s = await store.create(owner);
    expect(await store.delete(s.id)).toBe(true);
    expect(await store.delete(s.id)).toBe(false);
    expect(await store.get("x' or 1 eq 1")).toBeUndefined();
  });

  describe('read cache (SESSION_CACHE_SECONDS)', () => {
    /** The same table, counting point reads. */
    function counting(): { table: TableClient; reads: () => number } {
      let reads = 0;
      const counted = new Proxy(table, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (prop === 'getEntity' && typeof value === 'function') {
            return (...args: unknown[]) => {
              reads++;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { table: counted, reads: () => reads };
    }
    const cached = { ...policy, cacheSeconds: 5 };

    it('serves a session it read to its owner from memory until the cache entry ends', async () => {
      let now = new TestClock().now();
      const { table: t, reads } = counting();
      const store = new SessionStore(t, cached, () => now);
      const s = await store.create(owner);
      expect((await store.getFor(s.id, owner))?.id).toBe(s.id);
      expect((await store.getFor(s.id, owner))?.id).toBe(s.id);
      expect(reads()).toBe(1);
      now += 5_001;
      expect((await store.getFor(s.id, owner))?.id).toBe(s.id);
      expect(reads()).toBe(2);
    });

    it("never serves one user's remembered session to another: their lookup reads the store", async () => {
      const now = new TestClock().now();
      const { table: t, reads } = counting();
      const store = new SessionStore(t, cached, () => now);
      const s = await store.create(owner);
      await store.getFor(s.id, owner);
      const other = { tenantId: 't', objectId: 'someone-else' };
      const seen = await store.getFor(s.id, other);
      expect(reads()).toBe(2);
      // The store's answer is the owner's row: the caller refuses it as foreign (404), and it is not remembered for `other`.
      expect(seen?.objectId).toBe('o');
      await store.getFor(s.id, other);
      expect(reads()).toBe(3);
      // The same object id in another tenant is another user.
      await store.getFor(s.id, { tenantId: 'another-tenant', objectId: 'o' });
      expect(reads()).toBe(4);
      // And the owner's entry is still there: foreign lookups neither replace nor evict it.
      expect((await store.getFor(s.id, owner))?.id).toBe(s.id);
      expect(reads()).toBe(4);
    });

    it('forgets a session it deleted at once, and reads on every request with cacheSeconds 0', async () => {
      const now = new TestClock().now();
      const { table: t, reads } = counting();
      const store = new SessionStore(t, cached, () => now);
      const s = await store.create(owner);
      await store.getFor(s.id, owner);
      await store.delete(s.id);
      expect(await store.getFor(s.id, owner)).toBeUndefined();

      const uncached = new SessionStore(t, policy, () => now);
      const u = await uncached.create(owner);
      const before = reads();
      await uncached.getFor(u.id, owner);
      await uncached.getFor(u.id, owner);
      expect(reads() - before).toBe(2);
    });

    it('does not serve a remembered session past its own expiry', async () => {
      let now = new TestClock().now();
      const store = new SessionStore(table, { ...policy, idleTtlSeconds: 60, cacheSeconds: 300 }, () => now);
      const s = await store.create(owner);
      await store.getFor(s.id, owner);
      now += 61_000;
      expect(await store.getFor(s.id, owner)).toBeUndefined();
    });
  });
});
