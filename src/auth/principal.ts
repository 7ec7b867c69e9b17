/** The signed-in user behind a request, taken from a verified delegated access token. */
export interface Principal {
  tenantId: string;
  objectId: string;
  /** Display name (`name` claim), if present. */
  name: string | undefined;
  /** Sign-in name (`preferred_username` / `upn`), if present. */
  username: string | undefined;
  /** Delegated scopes granted to the calling client (`scp`). */
  scopes: string[];
  /** The client application that obtained the token (`azp` / `appid`). */
  clientAppId: string | undefined;
  /** Token expiry, seconds since the epoch. */
  expiresAt: number;
}

/** Stable key for binding sessions and handles to one user. */
export function principalKey(p: Pick<Principal, 'tenantId' | 'objectId'>): string {
  return `${p.tenantId}_${p.objectId}`;
}

export function samePrincipal(a: Pick<Principal, 'tenantId' | 'objectId'>, b: Pick<Principal, 'tenantId' | 'objectId'>): boolean {
  return a.tenantId === b.tenantId && a.objectId === b.objectId;
}
