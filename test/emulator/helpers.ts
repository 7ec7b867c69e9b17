import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll } from 'vitest';
import type { EmulatorHandle, EmulatorOptions } from '../../src/emulator/index.js';
import { LOCAL_USERS, startEmulator } from '../../src/emulator/index.js';

/** A fixed "now" so seeded data and date functions are predictable in tests. */
export const ANCHOR = new Date('2026-11-20T12:00:00Z');
const ISSUER = 'https://login.microsoftonline.com/3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b/v2.0';
const AUDIENCE = 'https://contoso.crm.dynamics.com';

export type Alias = 'alice' | 'bob' | 'rita' | 'dana' | 'sam' | 'greta';

export type Keys = Awaited<ReturnType<typeof generateKeyPair>>;

export async function makeKeys(): Promise<Keys> {
  return generateKeyPair('RS256');
}

export function user(alias: Alias) {
  const u = LOCAL_USERS.find((x) => x.alias === alias);
  if (!u) throw new Error(`no user ${alias}`);
  return u;
}

export async function mint(keys: Keys, oid: string, expiresIn = '10m'): Promise<string> {
  return new SignJWT({ oid })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(keys.privateKey);
}

export function verifier(keys: Keys): EmulatorOptions['verifyToken'] {
  return async (token: string) => {
    const { payload } = await jwtVerify(token, keys.publicKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] });
    if (typeof payload.oid !== 'string') throw new Error('token has no oid');
    return { objectId: payload.oid };
  };
}

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestOrg {
  emu: EmulatorHandle;
  keys: Keys;
  base: string;
  token(alias: Alias): Promise<string>;
  /** Calls the Web API as a seeded user; `path` is relative to /api/data/v9.2/ unless absolute. */
  api<T = Record<string, unknown>>(alias: Alias | null, path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string }): Promise<ApiResult<T>>;
}

export async function startOrg(options: Partial<EmulatorOptions> = {}, existingKeys?: Keys): Promise<TestOrg> {
  const keys = existingKeys ?? (await makeKeys());
  // The organisation's clock stands still at ANCHOR, so date functions never depend on when tests run.
  const emu = await startEmulator({ anchorTime: ANCHOR, clock: () => ANCHOR.getTime(), verifyToken: verifier(keys), ...options });
  const base = `${emu.url}/api/data/v9.2/`;
  const tokens = new Map<string, string>();
  const token = async (alias: Alias) => {
    let t = tokens.get(alias);
    if (!t) {
      t = await mint(keys, user(alias).objectId);
      tokens.set(alias, t);
    }
    return t;
  };
  const api: TestOrg['api'] = async (alias, path, init = {}) => {
    const headers: Record<string, string> = { Accept: 'application/json', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0', ...(init.headers ?? {}) };
    if (alias) headers.Authorization = `Bearer ${await token(alias)}`;
    let body: string | undefined = init.rawBody;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    const res = await fetch(path.startsWith('http') ? path : `${base}${path}`, { method: init.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: (text ? JSON.parse(text) : undefined) as never };
  };
  return { emu, keys, base, token, api };
}

export const ANNOTATIONS = { Prefer: 'odata.include-annotations="*"' };

export interface ODataList<T = Record<string, unknown>> {
  '@odata.context': string;
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
  value: T[];
}

export interface ODataError {
  error: { code: string; message: string };
}

/** Encodes a query string for a $filter etc. the way an OData client would. */
export function q(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
}

/** Starts one emulator for a test file (beforeAll) and closes it afterwards; `set` receives it. */
export function useOrg(set: (org: TestOrg) => void, options: Partial<EmulatorOptions> = {}): void {
  let started: TestOrg | undefined;
  beforeAll(async () => {
    started = await startOrg(options);
    set(started);
  });
  afterAll(async () => {
    await started?.emu.close();
  });
}
