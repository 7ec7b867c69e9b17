import type { Clock } from '../config/clock.js';
import type { DataverseClient } from './client.js';
import { DataverseError } from './errors.js';
import type { OrgMetadata, PrivilegeOp } from './metadata.js';
import { TtlCache } from './ttlCache.js';

export type { PrivilegeOp } from './metadata.js';

export interface PrivilegeNeed {
  /** Table logical name, e.g. `incident` (activities share `prv…Activity`, notes `prv…Note`). */
  table: string;
  ops: readonly PrivilegeOp[];
}

/** What one user holds: privilege name → depth (`Basic`, `Local`, `Deep`, `Global`). */
type UserPrivileges = ReadonlyMap<string, string>;

/** Each user's privileges, shared by every request (keys carry the org and the user). */
export class PrivilegeCaches {
  readonly users: TtlCache<UserPrivileges>;

  constructor(now: Clock, ttlMs = 5 * 60_000) {
    // A role change reaches the pre-check within the TTL; the write itself is always checked by Dataverse.
    this.users = new TtlCache(ttlMs, now);
  }
}

/**
 * Checks, before anyone is asked to confirm, that the signed-in user's security roles allow a
 * write (RetrieveUserPrivileges, and the table's privilege names from EntityMetadata.Privileges).
 * Both are cached, so a warm check costs no request. Any depth counts here: a user with only
 * user-level (Basic) Write on a record they do not own passes the check and is refused by the write.
 */
export class PrivilegeChecker {
  constructor(
    private readonly dataverse: DataverseClient,
    private readonly metadata: OrgMetadata,
    private readonly caches: PrivilegeCaches,
    /** Stable key of the user (their security roles are per org; the caches add the org). */
    private readonly userKey: string,
  ) {}

  /** Throws the same "missing privilege" error Dataverse would, naming every privilege that is missing. */
  async require(...needs: PrivilegeNeed[]): Promise<void> {
    await this.requireNamed(...(await this.namesOf(needs)));
  }

  /**
   * Whether the user holds what the needs name, from the cache: for narrowing what is listed (a
   * table a user cannot read is not offered), never for refusing a write.
   */
  async allows(...needs: PrivilegeNeed[]): Promise<boolean> {
    return (await this.missing(await this.namesOf(needs))).length === 0;
  }

  private async namesOf(needs: readonly PrivilegeNeed[]): Promise<string[]> {
    const tables = await Promise.all(needs.map((n) => this.metadata.privileges(n.table)));
    const names = new Set<string>();
    needs.forEach((need, i) => {
      for (const op of need.ops) {
        const name = tables[i]!.get(op);
        if (name) names.add(name);
      }
    });
    return [...names];
  }

  /** Named privileges (a table's, or one that belongs to no table such as `prvCreateEntity`). */
  async requireNamed(...names: string[]): Promise<void> {
    let missing = await this.missing(names);
    if (missing.length === 0) return;
    // The cache may predate a role change or a new table (its privileges did not exist yet): a
    // refusal is only ever based on a fresh read.
    this.forget();
    missing = await this.missing(names);
    if (missing.length) throw missingPrivileges(missing);
  }

  private async missing(names: readonly string[]): Promise<string[]> {
    const held = await this.held();
    return held ? names.filter((n) => !held.has(n)) : [];
  }

  /** The user's privileges, or undefined when Dataverse will not tell (then only the write decides). */
  private async held(): Promise<UserPrivileges | undefined> {
    try {
      return await this.caches.users.get(`${this.dataverse.apiBase}|${this.userKey}`, async () => {
        const me = await this.metadata.currentUser(this.userKey);
        const granted = await this.dataverse.retrieveUserPrivileges(me.systemUserId);
        return new Map(granted.map((p) => [p.PrivilegeName, p.Depth]));
      });
    } catch (err) {
      if (err instanceof DataverseError && (err.kind === 'forbidden' || err.kind === 'not_found')) return undefined;
      throw err;
    }
  }

  /** Forget this user's privileges (after Dataverse refused a write the cache allowed). */
  forget(): void {
    this.caches.users.delete(`${this.dataverse.apiBase}|${this.userKey}`);
  }
}

function missingPrivileges(names: string[]): DataverseError {
  return new DataverseError(
    'forbidden',
    `Your security roles are missing ${names.join(', ')} (checked before asking for confirmation; nothing was changed).`,
    403,
    '0x80040220',
    undefined,
  );
}
