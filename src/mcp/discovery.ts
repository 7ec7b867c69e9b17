import { createHash } from 'node:crypto';

import type { ListToolsResult } from '@modelcontextprotocol/server';

import type { Clock } from '../config/clock.js';
import { DataverseError } from '../dataverse/errors.js';
import type { OrgMetadata } from '../dataverse/metadata.js';
import type { PrivilegeChecker, PrivilegeNeed } from '../dataverse/privileges.js';

/** One tool of an agent's list, with what a user must hold for it to be listed to them. */
export interface DiscoverableTool {
  descriptor: ListToolsResult['tools'][number];
  needs: readonly PrivilegeNeed[];
}

/** The most distinct privilege sets whose lists are kept per agent (users with the same roles share one). */
const MAX_LISTS = 64;
/** The most users whose digest is remembered per agent (oldest forgotten first). */
const MAX_USERS = 10_000;

/**
 * Privilege-filtered discovery: a user is listed only the tools their Dataverse security roles let
 * them run (DISCOVERY_NEEDS, src/tools/discovery.ts). The check reads the user's privileges from
 * the cache the write pre-checks use (RetrieveUserPrivileges, then cached per user), so a warm
 * tools/list costs no Dataverse request. The answer is computed once per distinct set of listed
 * tools and shared by every user with that set; the digest of the set is remembered per user for
 * as long as their privileges are, so a cached answer can be served before the SDK is reached.
 * When the privileges cannot be read the list fails (fails closed) rather than listing tools the
 * user may not run.
 */
export class DiscoveryFilter {
  /** Tools grouped by their needs, so each distinct need is checked once per list. */
  private readonly groups: Array<{ needs: readonly PrivilegeNeed[]; tools: DiscoverableTool[] }>;
  private readonly lists = new Map<string, ListToolsResult>();
  private readonly digests = new Map<string, { digest: string; expiresAt: number }>();
  private readonly tables: readonly string[];

  constructor(
    private readonly tools: readonly DiscoverableTool[],
    /** Listed to everyone after the filtered tools (the conformance fixture's raw tools). */
    private readonly always: ListToolsResult['tools'],
    private readonly now: Clock,
    /** At most this long, and never past the expiry of the privileges it was decided on. */
    private readonly ttlMs = 5 * 60_000,
  ) {
    const byKey = new Map<string, { needs: readonly PrivilegeNeed[]; tools: DiscoverableTool[] }>();
    for (const t of tools) {
      const key = JSON.stringify(t.needs.map((n) => [n.table, [...n.ops].sort()]).sort());
      let g = byKey.get(key);
      if (!g) byKey.set(key, (g = { needs: t.needs, tools: [] }));
      g.tools.push(t);
    }
    this.groups = [...byKey.values()];
    this.tables = [...new Set(tools.flatMap((t) => t.needs.map((n) => n.table)))];
  }

  /** The tools/list answer for this user (their privileges decide), and the digest that names it. */
  async listFor(userKey: string, privileges: PrivilegeChecker, metadata: OrgMetadata): Promise<{ digest: string; list: ListToolsResult }> {
    // One metadata request for every table's privilege names not cached yet, instead of one per table.
    await metadata.preloadPrivileges(this.tables);
    const allowed = await Promise.all(
      this.groups.map(async (g) => {
        if (g.needs.length === 0) return true;
        try {
          return await privileges.holds(...g.needs);
        } catch (err) {
          // A table this org does not have (an optional solution): its tools cannot run here.
          if (err instanceof DataverseError && err.kind === 'not_found') return false;
          throw err;
        }
      }),
    );
    const listed = new Set(this.groups.flatMap((g, i) => (allowed[i] ? g.tools : [])));
    // In the agent's order, so every user's list reads the same way.
    const tools = this.tools.filter((t) => listed.has(t));
    const digest = createHash('sha256')
      .update(tools.map((t) => t.descriptor.name).join('\n'))
      .digest('base64url')
      .slice(0, 22);
    let list = this.lists.get(digest);
    if (!list) {
      list = { tools: [...tools.map((t) => t.descriptor), ...this.always] };
      if (this.lists.size >= MAX_LISTS) this.lists.delete(this.lists.keys().next().value!);
      this.lists.set(digest, list);
    }
    this.digests.delete(userKey);
    if (this.digests.size >= MAX_USERS) this.digests.delete(this.digests.keys().next().value!);
    // No longer than the privileges it was decided on are cached: a role change shows on the next read.
    this.digests.set(userKey, { digest, expiresAt: Math.min(this.now() + this.ttlMs, privileges.freshUntil() ?? this.now()) });
    return { digest, list };
  }

  /** The digest of this user's last list while their privileges are still fresh, else undefined. */
  digestOf(userKey: string): string | undefined {
    const hit = this.digests.get(userKey);
    return hit && hit.expiresAt > this.now() ? hit.digest : undefined;
  }
}
