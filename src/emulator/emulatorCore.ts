import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EMAIL_PENDING_SEND, EMAIL_SENT } from './actions/emailStatus.js';
import { Clock, toIso } from './clock.js';
import { DataverseError, ErrorCode } from './dataverseError.js';
import { BASE_LANGUAGE } from './metadata/localizedLabels.js';
import { MetadataModel } from './metadata/metadataModel.js';
import { SOLUTION_TABLES } from './metadata/knowledgeTables.js';
import { DEFAULT_PROFILE, type OrgProfile, STANDARD_MANY_TO_MANY, tablesFor } from './metadata/standardTables.js';
import type { AttributeDef, TableDef } from './metadata/types.js';
import { SkipTokens } from './odata/skipToken.js';
import type { Principal } from './security/roles.js';
import { type BulkLeadOptions, type BulkLeadResult, seedBulkLeads } from './seed/bulkLeads.js';
import { seedCopilotApis } from './seed/copilotApis.js';
import { seedKnowledgeBase } from './seed/knowledgeBase.js';
import { seedEngagement } from './seed/engagement.js';
import { seedSalesPipeline } from './seed/salesPipeline.js';
import { seedOrganizationRow } from './seed/organizationRow.js';
import { seedSdkMessages } from './seed/sdkMessages.js';
import { seedServiceDesk } from './seed/serviceDesk.js';
import { SearchIndex } from './search/searchIndex.js';
import { seedLaterAdditions, seedOrganisation } from './seed/seedOrganisation.js';
import { Store } from './store/store.js';

export const DEFAULT_SEED = 20261123;

/** An email "sent" by SendEmail. Nothing leaves the machine. */
export interface SentEmail {
  activityId: string;
  subject: string | null;
  /** HTML body (the email's description). */
  body: string | null;
  from: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  regarding: { id: string; logicalName: string } | null;
  /** When SendEmail queued it. */
  sentOn: string;
  /** systemuserid of the caller who sent it. */
  sentBy: string;
  /** `pending` while the email is 6 Pending Send; `delivered` once handed to the mailbox (3 Sent). */
  status: 'pending' | 'delivered';
  deliveredOn: string | null;
}

export interface CoreOptions {
  dataFile?: string;
  reset?: boolean;
  anchorTime?: Date;
  seed?: number;
  /** Time source (ms since the epoch); default the wall clock. Tests pin it. */
  clock?: () => number;
  /** Solutions the org has (stored with the data: a reload keeps its profile). */
  profile?: OrgProfile;
  /** Rows one `$apply` may aggregate instead of Dataverse's 50,000, for tests of what happens past the limit. */
  aggregateRecordLimit?: number;
  /** Dataverse search (organization.isexternalsearchindexenabled); default on, as in production environments. */
  search?: boolean;
}

/** Writes the database file atomically (temp file + rename), debounced after writes. */
class Persister {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly store: Store,
    private readonly file: string,
    private readonly debounceMs = 250,
  ) {}

  schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => {});
    }, this.debounceMs);
    this.timer.unref();
  }

  async flush(force = false): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.dirty && !force) return this.writing;
    this.dirty = false;
    const bytes = this.store.exportBytes();
    const write = async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, this.file);
    };
    this.writing = this.writing.then(write, write);
    return this.writing;
  }
}

/** The emulator's state: metadata, database, clock, paging keys and outbox. HTTP lives elsewhere. */
export class EmulatorCore {
  readonly outbox: SentEmail[] = [];
  readonly skipTokens = new SkipTokens();
  aggregateRecordLimit: number | undefined;
  /** Whether Dataverse search is enabled for the organisation. */
  searchEnabled = true;
  /** The Dataverse search index (SQLite FTS4), refreshed from the tables when they change. */
  search!: SearchIndex;
  private persister: Persister | undefined;

  private constructor(
    readonly model: MetadataModel,
    readonly store: Store,
    readonly clock: Clock,
    readonly organizationId: string,
    readonly businessUnitId: string,
    readonly anchorTime: Date,
    readonly seed: number,
  ) {}

  static async open(opts: CoreOptions): Promise<EmulatorCore> {
    const file = opts.dataFile;
    const load = file !== undefined && !opts.reset && existsSync(file);
    const bytes = load && file ? new Uint8Array(await readFile(file)) : undefined;
    const profile = bytes ? await Store.peekMeta(bytes, 'profile').then((p) => (p ? (JSON.parse(p) as OrgProfile) : DEFAULT_PROFILE)) : (opts.profile ?? DEFAULT_PROFILE);
    const model = new MetadataModel([...tablesFor(profile), ...SOLUTION_TABLES], STANDARD_MANY_TO_MANY);
    const store = await Store.open(model, bytes);
    const source = opts.clock ?? Date.now;
    let core: EmulatorCore;
    if (load) {
      if (!store.hasTable('_emulator_meta')) throw new Error(`${file} is not an emulator database (use reset to overwrite it).`);
      // Standard tables added since the file was written (team, usersettings) start empty.
      for (const t of model.allTables()) if (!t.readOnly && !store.hasTable(t.logicalName)) store.createTable(t);
      // Columns added to standard tables since then (annotation.documentbody) start empty.
      for (const t of model.allTables()) store.addMissingColumns(t);
      // The activity view over the activity tables of this version (appointment joined later).
      store.createActivityPointerView();
      applyCustomSchema(model, store);
      const anchor = new Date(store.getMeta('anchorTime') ?? source());
      const offset = Number(store.getMeta('clockOffsetMs') ?? '0');
      core = new EmulatorCore(
        model,
        store,
        new Clock(Number.isFinite(offset) ? offset : 0, source),
        store.getMeta('organizationId') ?? '',
        store.getMeta('businessUnitId') ?? '',
        anchor,
        Number(store.getMeta('seed') ?? DEFAULT_SEED),
      );
      store.rebuildNames();
      store.reloadVersion();
      // Users, teams and settings added to the sample org since the file was written.
      seedLaterAdditions(store, model, core.businessUnitId);
      if (profile.copilot !== false) seedCopilotApis(store, model);
      seedKnowledgeBase(store, model, anchor);
      seedSalesPipeline(store, model, anchor);
      seedEngagement(store, model, anchor);
      seedServiceDesk(store, model, anchor);
      seedSdkMessages(store, model);
      seedOrganizationRow(store, model, core.organizationId);
    } else {
      const anchor = opts.anchorTime ?? new Date(source());
      const seed = opts.seed ?? DEFAULT_SEED;
      const offset = opts.anchorTime ? anchor.getTime() - source() : 0;
      store.initMetaTables();
      for (const t of model.allTables()) store.createTable(t, false);
      store.createIntersectTables();
      store.createActivityPointerView();
      store.setVersion(1_000_000);
      const info = seedOrganisation(store, model, { anchor, seed });
      if (profile.copilot !== false) seedCopilotApis(store, model);
      seedKnowledgeBase(store, model, anchor);
      seedSalesPipeline(store, model, anchor);
      seedEngagement(store, model, anchor);
      seedServiceDesk(store, model, anchor);
      seedSdkMessages(store, model);
      seedOrganizationRow(store, model, info.organizationId);
      for (const t of model.allTables()) store.createIndexes(t);
      store.createCompositeIndexes();
      store.run('ANALYZE');
      store.setMeta('anchorTime', anchor.toISOString());
      store.setMeta('clockOffsetMs', String(offset));
      store.setMeta('seed', String(seed));
      store.setMeta('profile', JSON.stringify(profile));
      store.setMeta('organizationId', info.organizationId);
      store.setMeta('businessUnitId', info.businessUnitId);
      core = new EmulatorCore(model, store, new Clock(offset, source), info.organizationId, info.businessUnitId, anchor, seed);
    }
    core.aggregateRecordLimit = opts.aggregateRecordLimit;
    core.searchEnabled = opts.search ?? true;
    core.search = await SearchIndex.open(model, store);
    if (file) {
      core.persister = new Persister(store, file);
      store.onWrite = () => core.persister?.schedule();
      if (!load) core.persister.schedule();
    }
    return core;
  }

  /**
   * Resolves the caller from the token's object id (systemuser.azureactivedirectoryobjectid), or
   * refuses as Dataverse does for non-members: 403 0x80072560 "The user is not a member of the
   * organization." (https://learn.microsoft.com/dynamics365/fin-ops-core/data-entities/dual-write/dual-write-troubleshooting-live-sync).
   */
  principalFor(objectId: string): Principal {
    const u = this.store.get(`SELECT systemuserid, fullname, businessunitid, isdisabled FROM systemuser WHERE azureactivedirectoryobjectid = ?`, [objectId.toLowerCase()]);
    if (!u || typeof u.systemuserid !== 'string' || u.isdisabled === 1) {
      throw new DataverseError(403, ErrorCode.NotMember, 'The user is not a member of the organization.');
    }
    const roles = this.store
      .all(`SELECT r.name AS name FROM systemuserroles sr JOIN role r ON r.roleid = sr.roleid WHERE sr.systemuserid = ?`, [u.systemuserid])
      .map((r) => String(r.name));
    // The UI language is a user setting (usersettings.uilanguageid,
    // https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/usersettings).
    const settings = this.store.get(`SELECT uilanguageid FROM usersettings WHERE systemuserid = ?`, [u.systemuserid]);
    return {
      systemUserId: u.systemuserid,
      objectId,
      fullName: typeof u.fullname === 'string' ? u.fullname : '',
      businessUnitId: typeof u.businessunitid === 'string' ? u.businessunitid : this.businessUnitId,
      roles,
      uiLanguageId: typeof settings?.uilanguageid === 'number' ? settings.uilanguageid : BASE_LANGUAGE,
    };
  }

  /** Records a schema change so a reload rebuilds the same model. */
  saveCustomTable(t: TableDef): void {
    this.store.run(`INSERT OR REPLACE INTO _emulator_schema (kind, tablename, name, json) VALUES ('entity', ?, '', ?)`, [t.logicalName, JSON.stringify(t)]);
  }

  saveCustomAttribute(table: string, a: AttributeDef): void {
    this.store.run(`INSERT OR REPLACE INTO _emulator_schema (kind, tablename, name, json) VALUES ('attribute', ?, ?, ?)`, [table, a.logicalName, JSON.stringify(a)]);
  }

  forgetCustomTable(table: string): void {
    this.store.run(`DELETE FROM _emulator_schema WHERE tablename = ?`, [table]);
  }

  forgetCustomAttribute(table: string, attribute: string): void {
    this.store.run(`DELETE FROM _emulator_schema WHERE kind = 'attribute' AND tablename = ? AND name = ?`, [table, attribute]);
  }

  isUnmanagedCustomTable(logicalName: string): boolean {
    return this.store.get(`SELECT 1 AS x FROM _emulator_schema WHERE kind = 'entity' AND tablename = ?`, [logicalName]) !== undefined;
  }

  isUnmanagedCustomAttribute(table: string, attribute: string): boolean {
    if (this.isUnmanagedCustomTable(table)) return this.model.attribute(table, attribute)?.isCustom === true && !this.model.attribute(table, attribute)?.isPrimaryId;
    return this.store.get(`SELECT 1 AS x FROM _emulator_schema WHERE kind = 'attribute' AND tablename = ? AND name = ?`, [table, attribute]) !== undefined;
  }

  /**
   * Hands pending emails to the "mailbox", as server-side synchronization does: each still in
   * 6 Pending Send becomes 3 Sent with `senton` set. Returns the emails delivered.
   */
  /** Adds many open leads with interactions and scores (benchmarks of ranking at scale). */
  seedLeads(options: BulkLeadOptions): BulkLeadResult {
    const result = seedBulkLeads(this.store, this.model, this.clock.now(), options);
    // Fresh statistics, so the planner keeps using the indexes on the grown tables.
    this.store.run('ANALYZE');
    this.persister?.schedule();
    return result;
  }

  deliverMail(): SentEmail[] {
    const delivered: SentEmail[] = [];
    const now = toIso(this.clock.now());
    this.store.transaction(() => {
      for (const m of this.outbox) {
        if (m.status !== 'pending') continue;
        const row = this.store.get(`SELECT statuscode FROM email WHERE activityid = ?`, [m.activityId]);
        // A deleted or otherwise changed email is no longer waiting to be sent.
        if (row?.statuscode !== EMAIL_PENDING_SEND) continue;
        this.store.run(`UPDATE email SET statuscode = ?, senton = ?, modifiedon = ?, versionnumber = ? WHERE activityid = ?`, [EMAIL_SENT, now, now, this.store.nextVersion(), m.activityId]);
        m.status = 'delivered';
        m.deliveredOn = now;
        delivered.push(m);
      }
    });
    return delivered;
  }

  async close(): Promise<void> {
    if (this.persister) await this.persister.flush(true);
    this.search.close();
    this.store.close();
  }
}

function applyCustomSchema(model: MetadataModel, store: Store): void {
  const rows = store.all(`SELECT kind, tablename, name, json FROM _emulator_schema ORDER BY kind DESC`);
  for (const r of rows) {
    if (r.kind !== 'entity' || typeof r.json !== 'string') continue;
    const t = JSON.parse(r.json) as TableDef;
    model.addTable(t);
    if (t.hasNotes) model.linkNotes(t.logicalName);
  }
  for (const r of rows) {
    if (r.kind !== 'attribute' || typeof r.json !== 'string' || typeof r.tablename !== 'string') continue;
    const a = JSON.parse(r.json) as AttributeDef;
    if (model.table(r.tablename) && !model.attribute(r.tablename, a.logicalName)) model.addAttribute(r.tablename, a);
  }
}
