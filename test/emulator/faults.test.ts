import { afterEach, describe, expect, it } from 'vitest';
import type { ODataError, TestOrg } from './helpers.js';
import { useOrg } from './helpers.js';

let org: TestOrg;

useOrg((o) => (org = o));
afterEach(() => {
  org.emu.faults.clear();
});

describe('faults', () => {
  it('throttles exactly the next N requests with Retry-After and the service protection error', async () => {
    org.emu.faults.add({ kind: 'throttle', count: 2, retryAfterSeconds: 7 });
    expect(org.emu.faults.active).toEqual([{ kind: 'throttle', count: 2, retryAfterSeconds: 7 }]);
    for (let i = 0; i < 2; i++) {
      const r = await org.api<ODataError>('alice', 'WhoAmI');
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('7');
      expect(r.body.error).toEqual({ code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' });
    }
    expect((await org.api('alice', 'WhoAmI')).status).toBe(200);
    expect(org.emu.faults.active).toEqual([]);
  });

  it('matches on method and path', async () => {
    org.emu.faults.add({ kind: 'throttle', count: 5, match: { method: 'GET', pathContains: '/leads' } });
    expect((await org.api('alice', 'accounts?$top=1')).status).toBe(200);
    expect((await org.api('alice', 'leads?$top=1')).status).toBe(429);
    expect((await org.api('alice', 'leads', { method: 'POST', body: { subject: 's', lastname: 'l' } })).status).toBe(204);
  });

  it('answers 503 when unavailable', async () => {
    org.emu.faults.add({ kind: 'unavailable', count: 1 });
    const r = await org.api<ODataError>('alice', 'WhoAmI');
    expect(r.status).toBe(503);
    expect(r.body.error.code).toMatch(/^0x/);
    expect((await org.api('alice', 'WhoAmI')).status).toBe(200);
  });

  it('drops the connection without answering', async () => {
    org.emu.faults.add({ kind: 'drop', count: 1 });
    await expect(org.api('alice', 'WhoAmI')).rejects.toThrow();
    expect((await org.api('alice', 'WhoAmI')).status).toBe(200);
  });

  it('delays answers', async () => {
    org.emu.faults.add({ kind: 'latency', count: 1, latencyMs: 250 });
    expect((await org.api('alice', 'WhoAmI')).status).toBe(200);
    // The emulator records the delay it applied; measuring it here would make the test timing-bound.
    expect(org.emu.requests.at(-1)).toMatchObject({ path: '/api/data/v9.2/WhoAmI', status: 200, delayedMs: 250 });
    expect(org.emu.faults.active).toEqual([]);
    expect((await org.api('alice', 'WhoAmI')).status).toBe(200);
    expect(org.emu.requests.at(-1)?.delayedMs).toBe(0);
  });

  it('applies ratio rules until cleared', async () => {
    org.emu.faults.add({ kind: 'throttle', ratio: 1 });
    expect((await org.api('alice', 'WhoAmI')).status).toBe(429);
    expect((await org.api('alice', 'WhoAmI')).status).toBe(429);
    org.emu.faults.clear();
    expect((await org.api('alice', 'WhoAmI')).status).toBe(200);
    org.emu.faults.add({ kind: 'throttle', ratio: 0 });
    expect((await org.api('alice', 'WhoAmI')).status).toBe(200);
  });

  it('is controllable over HTTP on loopback', async () => {
    const add = await fetch(`${org.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'throttle', count: 1, retryAfterSeconds: 3 }) });
    expect(add.status).toBe(201);
    const listed = (await (await fetch(`${org.emu.url}/_emulator/faults`)).json()) as { value: unknown[] };
    expect(listed.value).toHaveLength(1);
    const r = await org.api('alice', 'WhoAmI');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
    await fetch(`${org.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'unavailable' }) });
    expect((await fetch(`${org.emu.url}/_emulator/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await org.api('alice', 'WhoAmI')).status).toBe(200);
    const bad = await fetch(`${org.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'explode' }) });
    expect(bad.status).toBe(400);
    const health = (await (await fetch(`${org.emu.url}/_emulator/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('refuses invalid rules from code too', () => {
    expect(() => org.emu.faults.add({ kind: 'throttle', ratio: 2 })).toThrow();
  });
});
