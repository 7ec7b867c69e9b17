import type { Clock } from '../config/clock.js';
import type { DataverseClient } from './client.js';
import { DataverseError } from './errors.js';
import { ABSENT_TABLE, type OrgMetadata, type PrivilegeOp } from './metadata.js';
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

  /**
   * For listing tools: whether the user holds what the needs name. Unlike `allows`, privileges
   * Dataverse will not disclose (403, 404) are an error, not a pass: a list fails closed.
   */
  async holds(...needs: PrivilegeNeed[]): Promise<boolean> {
    const names = await this.namesOf(needs);
    const held = await this.load();
    return names.every((n) => held.has(n));
  }

  /** When the privileges this user's answers come from expire in the cache (ms since the epoch). */
  freshUntil(): number | undefined {
    return this.caches.users.expiresAt(this.key());
  }

  private async namesOf(needs: readonly PrivilegeNeed[]): Promise<string[]> {
    const tables = await Promise.all(needs.map((n) => this.metadata.privileges(n.table)));
    const absent = needs.find((_, i) => tables[i] === ABSENT_TABLE);
    if (absent) throw new DataverseError('not_found', `The table '${absent.table.slice(0, 100)}' does not exist in this organisation.`, 404, '0x80040217', undefined);
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
      return await this.load();
    } catch (err) {
      if (err instanceof DataverseError && (err.kind === 'forbidden' || err.kind === 'not_found')) return undefined;
      throw err;
    }
  }

  private load(): Promise<UserPrivileges> {
    return this.caches.users.get(this.key(), async () => {
      const me = await this.metadata.currentUser(this.userKey);
      const granted = await this.dataverse.retrieveUserPrivileges(me.systemUserId);
      return new Map(granted.map((p) => [p.PrivilegeName, p.Depth]));
    });
  }

  private key(): string {
    return `${this.dataverse.apiBase}|${this.userKey}`;
  }

  /** Forget this user's privileges (after Dataverse refused a write the cache allowed). */
  forget(): void {
    this.caches.users.delete(this.key());
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
