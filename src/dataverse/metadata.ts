import type { Clock } from '../config/clock.js';
import type { DataverseClient, MetadataRead, Row } from './client.js';
import { DataverseError } from './errors.js';
import { and, eq, or } from './odata.js';
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

/** The operations Dataverse guards with a privilege per table (EntityMetadata.Privileges). */
/** The privileges of a table the organisation does not have (a solution that is not installed). */
export const ABSENT_TABLE: ReadonlyMap<string, string> = new Map();

/** The bulk operation messages a table may offer (bulk-operations). */
export const BULK_MESSAGES = ['CreateMultiple', 'UpdateMultiple'] as const;
export type BulkMessage = (typeof BULK_MESSAGES)[number];

export type PrivilegeOp = 'Create' | 'Read' | 'Write' | 'Delete' | 'Append' | 'AppendTo' | 'Assign';

export interface AttributeInfo {
  name: string;
  type: string;
  displayName: string;
  required: string;
  isValidForCreate: boolean;
  isValidForUpdate: boolean;
  maxLength?: number;
  targets?: string[];
  options?: Array<{ value: number; label: string }>;
}

/** A table's definition: what the generic Dataverse tools check writes against. */
export interface TableInfo {
  logicalName: string;
  entitySetName: string;
  displayName: string;
  primaryId: string;
  primaryName: string;
  isCustom: boolean;
  attributes: ReadonlyMap<string, AttributeInfo>;
}

/** One row of the org's table list. */
export interface TableSummary {
  logicalName: string;
  entitySetName: string;
  displayName: string;
  isCustom: boolean;
}

/** The signed-in user as Dataverse knows them (WhoAmI and their system user row). */
export interface CurrentUser {
  systemUserId: string;
  businessUnitId: string;
  fullName: string | undefined;
  title: string | undefined;
}

/**
 * Process-wide caches of what rarely changes: an org's metadata (keys carry the org) and who each
 * user is (keys carry the org and the user). Loads are single-flight; failures are not kept.
 */
export class MetadataCaches {
  readonly tableLists: TtlCache<TableSummary[]>;
  readonly definitions: TtlCache<TableInfo>;
  readonly lookups: TtlCache<ManyToOne[]>;
  readonly privileges: TtlCache<ReadonlyMap<string, string>>;
  readonly users: TtlCache<CurrentUser>;
  readonly bulkMessages: TtlCache<ReadonlySet<BulkMessage>>;
  readonly currencies: TtlCache<string | null>;

  constructor(now: Clock, ttlMs = 10 * 60_000, onLookup?: (hit: boolean) => void) {
    this.bulkMessages = new TtlCache(ttlMs, now, undefined, onLookup);
    this.currencies = new TtlCache(ttlMs, now, undefined, onLookup);
    this.tableLists = new TtlCache(ttlMs, now, undefined, onLookup);
    this.definitions = new TtlCache(ttlMs, now, undefined, onLookup);
    this.lookups = new TtlCache(ttlMs, now, undefined, onLookup);
    this.privileges = new TtlCache(ttlMs, now, undefined, onLookup);
    this.users = new TtlCache(ttlMs, now, undefined, onLookup);
  }
}

const labelOf = (v: unknown): string => {
  const l = (v as { UserLocalizedLabel?: { Label?: string } | null } | undefined)?.UserLocalizedLabel?.Label;
  return typeof l === 'string' ? l : '';
};

/**
 * What the org's metadata says, read once per org and cached (the TTL is METADATA_CACHE_MINUTES):
 * tables, definitions, lookups with their navigation names (never built by string rules: custom
 * lookups keep their schema name's case, optional solutions may be absent), table privileges.
 * Schema tools call `forget` for what they change.
 */
export class OrgMetadata {
  private readonly org: string;

  constructor(
    private readonly dataverse: DataverseClient,
    private readonly caches: MetadataCaches,
  ) {
    this.org = dataverse.apiBase;
  }

  tables(): Promise<TableSummary[]> {
    return this.caches.tableLists.get(this.org, async () =>
      (await this.dataverse.entityDefinitions(['LogicalName', 'EntitySetName', 'DisplayName', 'IsCustomEntity'])).map((d) => ({
        logicalName: String(d['LogicalName']),
        entitySetName: String(d['EntitySetName'] ?? ''),
        displayName: labelOf(d['DisplayName']),
        isCustom: d['IsCustomEntity'] === true,
      })),
    );
  }

  /** The entity set of a table (from the cached table list); not_found when the org has no such table. */
  async entitySet(table: string): Promise<string> {
    const found = (await this.tables()).find((t) => t.logicalName === table);
    if (!found) throw new DataverseError('not_found', `The table '${table.slice(0, 100)}' does not exist in this organisation.`, 404, '0x80040217', undefined);
    return found.entitySetName;
  }

  /** A table's definition and columns. `fresh` reads past every cache (right after a schema change). */
  table(table: string, read: MetadataRead = {}): Promise<TableInfo> {
    const key = `${this.org}|${table}`;
    if (read.strong) this.caches.definitions.delete(key);
    return this.caches.definitions.get(key, () => this.readDefinition(table, read));
  }

  lookups(table: string): Promise<ManyToOne[]> {
    return this.caches.lookups.get(`${this.org}|${table}`, async () => {
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
    const all = (await this.lookups(table)).filter((r) => r.attribute === attribute);
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

  /**
   * The privilege names of several tables in one request (EntityDefinitions filtered by
   * LogicalName), for those not cached yet: listing tools checks a dozen tables at once. Tables the
   * org lacks are not in the answer and stay unknown (`privileges` then reports them not found).
   */
  async preloadPrivileges(tables: readonly string[]): Promise<void> {
    const missing = [...new Set(tables)].filter((t) => !this.caches.privileges.has(`${this.org}|${t}`));
    if (missing.length === 0) return;
    const rows = await this.dataverse.entityDefinitions<{ LogicalName?: unknown; Privileges?: Array<{ Name?: unknown; PrivilegeType?: unknown }> }>(['LogicalName', 'Privileges'], or(...missing.map((t) => eq('LogicalName', t))));
    const found = new Set<string>();
    for (const row of rows) {
      if (typeof row.LogicalName !== 'string') continue;
      found.add(row.LogicalName);
      const out = new Map<string, string>();
      for (const p of row.Privileges ?? []) if (typeof p.Name === 'string' && typeof p.PrivilegeType === 'string') out.set(p.PrivilegeType, p.Name);
      void this.caches.privileges.get(`${this.org}|${row.LogicalName}`, async () => out);
    }
    // Remembered as absent for as long as the others, so a missing solution costs no request per list.
    for (const t of missing) if (!found.has(t)) void this.caches.privileges.get(`${this.org}|${t}`, async () => ABSENT_TABLE);
  }

  /** A table's privilege names by operation (EntityMetadata.Privileges); `ABSENT_TABLE` when the org has no such table. */
  privileges(table: string): Promise<ReadonlyMap<string, string>> {
    return this.caches.privileges.get(`${this.org}|${table}`, async () => {
      const def = await this.dataverse.entityDefinition<{ Privileges?: Array<{ Name?: unknown; PrivilegeType?: unknown }> }>(table, ['LogicalName', 'Privileges']);
      const out = new Map<string, string>();
      for (const p of def.Privileges ?? []) if (typeof p.Name === 'string' && typeof p.PrivilegeType === 'string') out.set(p.PrivilegeType, p.Name);
      return out;
    });
  }

  /** After a schema change: the table's definition, lookups and privileges, and the table list, are read again. */
  forget(table: string): void {
    for (const cache of [this.caches.definitions, this.caches.lookups, this.caches.privileges, this.caches.bulkMessages]) cache.delete(`${this.org}|${table}`);
    this.caches.tableLists.delete(this.org);
  }

  /**
   * Which bulk messages the org offers on a table: "many common standard tables, but not all"
   * support CreateMultiple and UpdateMultiple, and sdkmessagefilter says which (bulk-operations,
   * Availability with standard tables). One request per table, cached like the definitions.
   */
  bulkMessages(table: string): Promise<ReadonlySet<BulkMessage>> {
    return this.caches.bulkMessages.get(`${this.org}|${table}`, async () => {
      const page = await this.dataverse.list('sdkmessagefilters', {
        select: ['sdkmessagefilterid'],
        filter: and(eq('primaryobjecttypecode', table), or(...BULK_MESSAGES.map((m) => eq('sdkmessageid/name', m)))),
        expand: [{ nav: 'sdkmessageid', select: ['name'] }],
        top: 10,
      });
      const names = page.rows.map((r) => (r['sdkmessageid'] as { name?: unknown } | null | undefined)?.name);
      return new Set(BULK_MESSAGES.filter((m) => names.includes(m)));
    });
  }

  /**
   * The ISO code of the org's base currency (organization.basecurrencyid → transactioncurrency),
   * in which its amounts are kept; null where the org does not say. One request per org, cached.
   */
  baseCurrency(): Promise<string | null> {
    return this.caches.currencies.get(this.org, async () => {
      const page = await this.dataverse.list('organizations', { select: ['organizationid'], expand: [{ nav: 'basecurrencyid', select: ['isocurrencycode'] }], top: 1 });
      const code = (page.rows[0]?.['basecurrencyid'] as { isocurrencycode?: unknown } | null | undefined)?.isocurrencycode;
      return typeof code === 'string' && /^[A-Z]{3}$/.test(code) ? code : null;
    });
  }

  /** The signed-in user (WhoAmI and their system user row), cached per user. */
  currentUser(userKey: string): Promise<CurrentUser> {
    return this.caches.users.get(`${this.org}|${userKey}`, async () => {
      const me = await this.dataverse.whoAmI();
      const row = await this.dataverse.get('systemusers', me.UserId, { select: ['systemuserid', 'fullname', 'title'] });
      const text = (k: string) => (typeof row[k] === 'string' && row[k] ? (row[k] as string) : undefined);
      return { systemUserId: me.UserId, businessUnitId: me.BusinessUnitId, fullName: text('fullname'), title: text('title') };
    });
  }

  /** Forget who the user is (their roles or row changed under a cached answer). */
  forgetUser(userKey: string): void {
    this.caches.users.delete(`${this.org}|${userKey}`);
  }

  /** One request for the entity and its columns, then one per typed attribute kind (lengths, targets, choices). */
  private async readDefinition(table: string, read: MetadataRead): Promise<TableInfo> {
    const def: Row = await this.dataverse.entityDefinition(
      table,
      ['LogicalName', 'EntitySetName', 'DisplayName', 'PrimaryIdAttribute', 'PrimaryNameAttribute', 'IsCustomEntity'],
      ['LogicalName', 'AttributeType', 'DisplayName', 'RequiredLevel', 'IsValidForCreate', 'IsValidForUpdate', 'AttributeOf'],
      read,
    );
    const attributes = new Map<string, AttributeInfo>();
    for (const a of (def['Attributes'] as Row[] | undefined) ?? []) {
      if (a['AttributeOf']) continue; // virtual name/yomi columns that shadow another column
      const name = String(a['LogicalName']);
      attributes.set(name, {
        name,
        type: String(a['AttributeType'] ?? ''),
        displayName: labelOf(a['DisplayName']),
        required: String((a['RequiredLevel'] as { Value?: string } | undefined)?.Value ?? 'None'),
        isValidForCreate: a['IsValidForCreate'] !== false,
        isValidForUpdate: a['IsValidForUpdate'] !== false,
      });
    }
    const [strings, lookups, ...choiceSets] = await Promise.all([
      this.dataverse.attributes(table, ['LogicalName', 'MaxLength'], 'StringAttributeMetadata', undefined, read),
      this.dataverse.attributes(table, ['LogicalName', 'Targets'], 'LookupAttributeMetadata', undefined, read),
      ...['PicklistAttributeMetadata', 'StateAttributeMetadata', 'StatusAttributeMetadata'].map((cast) =>
        this.dataverse.attributes(table, ['LogicalName'], cast, 'OptionSet($select=Options)', read),
      ),
    ]);
    for (const s of strings) {
      const a = attributes.get(String(s['LogicalName']));
      if (a && typeof s['MaxLength'] === 'number') a.maxLength = s['MaxLength'];
    }
    for (const l of lookups) {
      const a = attributes.get(String(l['LogicalName']));
      if (a && Array.isArray(l['Targets'])) a.targets = (l['Targets'] as unknown[]).map(String);
    }
    for (const set of choiceSets) {
      for (const c of set) {
        const a = attributes.get(String(c['LogicalName']));
        const options = ((c['OptionSet'] as { Options?: Row[] } | undefined)?.Options ?? []).map((o) => ({ value: Number(o['Value']), label: labelOf(o['Label']) }));
        if (a) a.options = options;
      }
    }
    return {
      logicalName: String(def['LogicalName'] ?? table),
      entitySetName: String(def['EntitySetName'] ?? ''),
      displayName: labelOf(def['DisplayName']),
      primaryId: String(def['PrimaryIdAttribute'] ?? `${table}id`),
      primaryName: String(def['PrimaryNameAttribute'] ?? ''),
      isCustom: def['IsCustomEntity'] === true,
      attributes,
    };
  }
}
