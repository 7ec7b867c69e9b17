import type { Clock } from '../config/clock.js';
import type { DataverseClient } from './client.js';
import { DataverseError } from './errors.js';
import { TtlCache } from './ttlCache.js';

/** A lookup as the org's metadata describes it: which column, to which table, under which navigation name. */
export interface ManyToOne {
  /** The lookup column's logical name (`customerid`). */
  attribute: string;
  /** The table it points to (`account`); `owner` for owner lookups, which take users and teams. */
  target: string;
  /** The single-valued navigation property (`customerid_account`, `msdyn_PredictiveScoreId`): case-sensitive. */
  navigation: string;
}

/** Process-wide caches of what an org's metadata says; keys carry the org. Metadata changes with deployments, not requests. */
export class MetadataCaches {
  readonly manyToOne: TtlCache<ManyToOne[]>;

  constructor(now: Clock, ttlMs = 30 * 60_000) {
    this.manyToOne = new TtlCache(ttlMs, now);
  }
}

/**
 * Metadata facts the tools need, read once per org: navigation and bind names come from
 * `ManyToOneRelationships` (never from string rules: custom lookups keep their schema name's case,
 * and optional solutions may be absent).
 */
export class OrgMetadata {
  constructor(
    private readonly dataverse: DataverseClient,
    private readonly caches: MetadataCaches,
  ) {}

  manyToOne(table: string): Promise<ManyToOne[]> {
    return this.caches.manyToOne.get(`${this.dataverse.apiBase}|${table}`, async () => {
      const rows = await this.dataverse.relationships(table, 'ManyToOne', ['ReferencingAttribute', 'ReferencedEntity', 'ReferencingEntityNavigationPropertyName']);
      return rows.flatMap((r) => {
        const attribute = r['ReferencingAttribute'];
        const target = r['ReferencedEntity'];
        const navigation = r['ReferencingEntityNavigationPropertyName'];
        return typeof attribute === 'string' && typeof target === 'string' && typeof navigation === 'string' && navigation ? [{ attribute, target, navigation }] : [];
      });
    });
  }

  /** The navigation property of `table.attribute` (to `target`, for lookups with several), or undefined when the org has no such lookup. */
  async navigation(table: string, attribute: string, target?: string): Promise<string | undefined> {
    const all = (await this.manyToOne(table)).filter((r) => r.attribute === attribute);
    const exact = target ? all.find((r) => r.target === target) : undefined;
    // Owner lookups point at `owner` (users and teams alike) under one navigation name.
    return (exact ?? (all.length === 1 || !target ? all[0] : undefined))?.navigation;
  }

  /** `<navigation>@odata.bind` for setting `table.attribute` to a row of `target`. */
  async bindKey(table: string, attribute: string, target: string): Promise<string> {
    const navigation = await this.navigation(table, attribute, target);
    if (!navigation) throw new DataverseError('validation', `This organisation has no lookup ${table}.${attribute} to ${target}.`, undefined, undefined, undefined);
    return `${navigation}@odata.bind`;
  }
}
