import { findLocalUser } from '../../src/emulator/users.js';
import type { TestServer } from './harness.js';

export interface WebApi {
  <T = Record<string, unknown>>(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T }>;
}

/**
 * The test server's Dataverse (the emulator) called directly as a seeded user, with a Dataverse
 * token from the local identity provider: for arranging data the tools then read. A token is minted
 * per request at the server clock's time, so tests that move the clock get valid tokens.
 */
export function dataverseAs(server: TestServer, alias: string): WebApi {
  const user = findLocalUser(alias);
  if (!user || !server.idp || !server.emulator) throw new Error(`no user ${alias}, identity provider or emulator`);
  const base = `${server.emulator.url}/api/data/v9.2/`;
  return async (path, init = {}) => {
    const token = await server.idp!.mintUserToken(user, { audience: server.emulator!.url, scopes: ['user_impersonation'] });
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'odata-version': '4.0',
      prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"',
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
      ...init.headers,
    };
    const res = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined && { body: JSON.stringify(init.body) }) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
  };
}

/** The id of a record created with `POST` (from OData-EntityId, or the representation). */
export async function create(api: WebApi, set: string, body: Record<string, unknown>): Promise<string> {
  const r = await api<Record<string, unknown>>(`${set}?$select=createdon`, { method: 'POST', body, headers: { prefer: 'return=representation' } });
  if (r.status !== 201) throw new Error(`create ${set}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  const id = Object.entries(r.body).find(([k, v]) => k.endsWith('id') && !k.startsWith('_') && typeof v === 'string')?.[1];
  return String(id);
}
