import initSqlJs from 'sql.js';
import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import { ACTIVITY_POINTER_SOURCES } from '../metadata/standardTables.js';
import type { AttributeDef, TableDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import { choiceLabel } from '../odata/values.js';

export type Row = Record<string, SqlValue>;
export type { SqlValue };

let sqlJs: Promise<SqlJsStatic> | undefined;
/** The wasm module is loaded once per process; databases are cheap after that. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs();
  return sqlJs;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlType(a: AttributeDef): string {
  switch (a.type) {
    case 'String':
    case 'Memo':
    case 'EntityName':
      return 'TEXT COLLATE NOCASE';
    case 'Integer':
    case 'BigInt':
    case 'Picklist':
    case 'State':
    case 'Status':
    case 'Boolean':
      return 'INTEGER';
    case 'Decimal':
    case 'Double':
    case 'Money':
      return 'REAL';
    default:
      return 'TEXT';
  }
}

interface NameEntry {
  table: string;
  name: string | null;
}

const STATEMENT_CACHE_LIMIT = 400;

/**
 * The SQLite database (sql.js, in memory) plus what must stay in step with it: prepared statements,
 * the record-name index used for lookup labels, and the row-version counter behind ETags.
 */
export class Store {
  private db: Database;
  private readonly stmts = new Map<string, Statement>();
  /** Column names per statement: sql.js's getAsObject re-reads (and re-decodes) them for every row. */
  private readonly columns = new WeakMap<Statement, string[]>();
  private txDepth = 0;
  /** GUID → owning table and primary name, for lookup formatted values and polymorphic lookups. */
  readonly names = new Map<string, NameEntry>();
  private version = 0;
  /** Called after any committed write (persistence hooks in here). */
  onWrite: () => void = () => {};

  private constructor(
    db: Database,
    private readonly model: MetadataModel,
  ) {
    this.db = db;
    this.registerFunctions();
  }

  static async open(model: MetadataModel, data?: Uint8Array): Promise<Store> {
    const SQL = await loadSqlJs();
    const db = data ? new SQL.Database(data) : new SQL.Database();
    const store = new Store(db, model);
    store.applyPragmas();
    return store;
  }

  /** One meta value of a saved database, read before its model is known (the org profile decides the model). */
  static async peekMeta(data: Uint8Array, key: string): Promise<string | undefined> {
    const SQL = await loadSqlJs();
    const db = new SQL.Database(data);
    try {
      const hasMeta = db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_emulator_meta'`).length > 0;
      if (!hasMeta) return undefined;
      const value = db.exec('SELECT value FROM _emulator_meta WHERE key = ?', [key])[0]?.values[0]?.[0];
      return typeof value === 'string' ? value : undefined;
    } finally {
      db.close();
    }
  }

  /** The file lives in wasm memory: journaling and syncs only cost time (the export is the durable copy). */
  private applyPragmas(): void {
    this.db.run('PRAGMA foreign_keys = OFF; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536');
  }

  private registerFunctions(): void {
    // Label columns for SQL (`parentcustomeridname`, `statuscodename`) resolve through these.
    this.db.create_function('dv_name', (id: SqlValue) => (typeof id === 'string' ? (this.names.get(id)?.name ?? null) : null));
    this.db.create_function('dv_label', (table: SqlValue, attr: SqlValue, value: SqlValue, language: SqlValue) => {
      if (typeof table !== 'string' || typeof attr !== 'string' || value === null) return null;
      const a = this.model.attribute(table, attr);
      if (!a) return null;
      return choiceLabel(a, value, typeof language === 'number' ? language : undefined) ?? null;
    });
  }

  private statement(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (s) return s;
    s = this.db.prepare(sql);
    if (this.stmts.size >= STATEMENT_CACHE_LIMIT) {
      const first = this.stmts.keys().next();
      if (!first.done) {
        this.stmts.get(first.value)?.free();
        this.stmts.delete(first.value);
      }
    }
    this.stmts.set(sql, s);
    return s;
  }

  private rowOf(s: Statement): Row {
    let cols = this.columns.get(s);
    if (!cols) {
      cols = s.getColumnNames();
      this.columns.set(s, cols);
    }
    const values = s.get();
    const row: Row = {};
    for (let i = 0; i < cols.length; i++) row[cols[i] as string] = values[i] ?? null;
    return row;
  }

  all(sql: string, params: SqlValue[] = []): Row[] {
    const s = this.statement(sql);
    try {
      s.bind(params);
      const out: Row[] = [];
      while (s.step()) out.push(this.rowOf(s));
      return out;
    } finally {
      s.reset();
    }
  }

  get(sql: string, params: SqlValue[] = []): Row | undefined {
    const s = this.statement(sql);
    try {
      s.bind(params);
      return s.step() ? this.rowOf(s) : undefined;
    } finally {
      s.reset();
    }
  }

  run(sql: string, params: SqlValue[] = []): void {
    const s = this.statement(sql);
    try {
      s.bind(params);
      s.step();
    } finally {
      s.reset();
    }
  }

  /** Runs `fn` atomically; nested calls become savepoints. */
  transaction<T>(fn: () => T): T {
    const depth = this.txDepth;
    const sp = `sp${depth}`;
    this.db.run(depth === 0 ? 'BEGIN' : `SAVEPOINT ${sp}`);
    this.txDepth++;
    try {
      const result = fn();
      this.txDepth--;
      this.db.run(depth === 0 ? 'COMMIT' : `RELEASE ${sp}`);
      if (depth === 0) this.onWrite();
      return result;
    } catch (e) {
      this.txDepth--;
      this.db.run(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${sp}; RELEASE ${sp}`);
      if (depth === 0) this.reloadVersion();
      throw e;
    }
  }

  private clearStatements(): void {
    for (const s of this.stmts.values()) s.free();
    this.stmts.clear();
  }

  // ---- schema ----------------------------------------------------------------------------------

  initMetaTables(): void {
    this.db.run(`CREATE TABLE IF NOT EXISTS _emulator_meta (key TEXT PRIMARY KEY, value TEXT)`);
    this.db.run(`CREATE TABLE IF NOT EXISTS _emulator_schema (kind TEXT NOT NULL, tablename TEXT NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, tablename, name))`);
  }

  /** Seeding creates indexes afterwards (faster bulk insert); later tables get them at once. */
  createTable(t: TableDef, withIndexes = true): void {
    if (t.readOnly) return;
    const cols = t.attributes.map((a) => `${quoteIdent(a.logicalName)} ${sqlType(a)}${a.isPrimaryId ? ' PRIMARY KEY' : ''}`);
    this.db.run(`CREATE TABLE IF NOT EXISTS ${quoteIdent(t.logicalName)} (${cols.join(', ')})`);
    if (withIndexes) this.createIndexes(t);
    this.clearStatements();
  }

  createIndexes(t: TableDef): void {
    if (t.readOnly) return;
    for (const a of t.attributes) this.indexColumn(t, a);
  }

  private indexColumn(t: TableDef, a: AttributeDef): void {
    const wanted =
      isLookupType(a.type) ||
      a.logicalName === 'statecode' ||
      a.logicalName === 'createdon' ||
      a.logicalName === 'modifiedon' ||
      a.logicalName === t.primaryNameAttribute ||
      (t.logicalName === 'systemuser' && a.logicalName === 'azureactivedirectoryobjectid');
    if (!wanted || a.isPrimaryId) return;
    this.db.run(`CREATE INDEX IF NOT EXISTS ${quoteIdent(`ix_${t.logicalName}_${a.logicalName}`)} ON ${quoteIdent(t.logicalName)} (${quoteIdent(a.logicalName)})`);
  }

  createCompositeIndexes(): void {
    // The lead list (open leads, newest first) is the hot path.
    this.db.run(`CREATE INDEX IF NOT EXISTS ix_lead_state_created ON lead (statecode, createdon)`);
    this.db.run(`CREATE INDEX IF NOT EXISTS ix_incident_state_created ON incident (statecode, createdon)`);
  }

  createIntersectTables(): void {
    for (const m of this.model.manyToManyDefs()) {
      this.db.run(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(m.intersect)} (${quoteIdent(m.entity1Column)} TEXT NOT NULL, ${quoteIdent(m.entity2Column)} TEXT NOT NULL, PRIMARY KEY (${quoteIdent(m.entity1Column)}, ${quoteIdent(m.entity2Column)}))`,
      );
      this.db.run(`CREATE INDEX IF NOT EXISTS ${quoteIdent(`ix_${m.intersect}_2`)} ON ${quoteIdent(m.intersect)} (${quoteIdent(m.entity2Column)})`);
    }
  }

  /** activitypointer is a view over the concrete activity tables. */
  createActivityPointerView(): void {
    const pointer = this.model.table('activitypointer');
    if (!pointer) return;
    const columns = pointer.attributes.map((a) => a.logicalName);
    const selects = ACTIVITY_POINTER_SOURCES.map((source) => {
      const st = this.model.table(source);
      const parts = columns.map((c) => {
        if (c === 'activitytypecode') return `'${source}' AS activitytypecode`;
        return st && this.model.attribute(source, c) ? quoteIdent(c) : `NULL AS ${quoteIdent(c)}`;
      });
      return `SELECT ${parts.join(', ')} FROM ${quoteIdent(source)}`;
    });
    this.db.run(`DROP VIEW IF EXISTS activitypointer`);
    this.db.run(`CREATE VIEW activitypointer AS ${selects.join(' UNION ALL ')}`);
    this.clearStatements();
  }

  addColumn(t: TableDef, a: AttributeDef): void {
    this.db.run(`ALTER TABLE ${quoteIdent(t.logicalName)} ADD COLUMN ${quoteIdent(a.logicalName)} ${sqlType(a)}`);
    this.indexColumn(t, a);
    this.clearStatements();
  }

  /** Adds the columns of `t` that a database written by an older version lacks. */
  addMissingColumns(t: TableDef): void {
    if (t.readOnly || !this.hasTable(t.logicalName)) return;
    const present = new Set(this.all(`SELECT name FROM pragma_table_info(?)`, [t.logicalName]).map((r) => String(r.name)));
    for (const a of t.attributes) if (!present.has(a.logicalName)) this.addColumn(t, a);
  }

  dropColumn(t: TableDef, a: AttributeDef): void {
    this.db.run(`DROP INDEX IF EXISTS ${quoteIdent(`ix_${t.logicalName}_${a.logicalName}`)}`);
    this.db.run(`ALTER TABLE ${quoteIdent(t.logicalName)} DROP COLUMN ${quoteIdent(a.logicalName)}`);
    this.clearStatements();
  }

  dropTable(t: TableDef): void {
    this.db.run(`DROP TABLE IF EXISTS ${quoteIdent(t.logicalName)}`);
    this.clearStatements();
  }

  hasTable(name: string): boolean {
    return this.get(`SELECT 1 AS x FROM sqlite_master WHERE type IN ('table','view') AND name = ?`, [name]) !== undefined;
  }

  // ---- meta and versions -----------------------------------------------------------------------

  getMeta(key: string): string | undefined {
    const r = this.get(`SELECT value FROM _emulator_meta WHERE key = ?`, [key]);
    return typeof r?.value === 'string' ? r.value : undefined;
  }

  setMeta(key: string, value: string): void {
    this.run(`INSERT INTO _emulator_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  /** Row versions grow across the whole organisation, like Dataverse's rowversion. */
  nextVersion(): number {
    this.version++;
    return this.version;
  }

  setVersion(v: number): void {
    this.version = v;
  }

  /** Recomputes the counter from the data (after load or a rolled-back transaction). */
  reloadVersion(): void {
    let max = 1_000_000;
    for (const t of this.model.allTables()) {
      if (t.readOnly) continue;
      const r = this.get(`SELECT MAX(versionnumber) AS v FROM ${quoteIdent(t.logicalName)}`);
      if (typeof r?.v === 'number' && r.v > max) max = r.v;
    }
    this.version = max;
  }

  // ---- names -----------------------------------------------------------------------------------

  rebuildNames(): void {
    this.names.clear();
    for (const t of this.model.allTables()) {
      if (t.readOnly || t.sharesKeyOf) continue;
      const rows = this.all(`SELECT ${quoteIdent(t.primaryIdAttribute)} AS id, ${quoteIdent(t.primaryNameAttribute)} AS name FROM ${quoteIdent(t.logicalName)}`);
      for (const r of rows) {
        if (typeof r.id === 'string') this.names.set(r.id, { table: t.logicalName, name: r.name === null || r.name === undefined ? null : String(r.name) });
      }
    }
  }

  setName(id: string, table: string, name: string | null): void {
    this.names.set(id, { table, name });
  }

  deleteName(id: string): void {
    this.names.delete(id);
  }

  // ---- persistence -----------------------------------------------------------------------------

  /** sql.js closes and reopens the connection on export: statements and functions must be rebuilt. */
  exportBytes(): Uint8Array {
    this.clearStatements();
    const bytes = this.db.export();
    this.registerFunctions();
    this.applyPragmas();
    return bytes;
  }

  close(): void {
    this.clearStatements();
    this.db.close();
  }
}
