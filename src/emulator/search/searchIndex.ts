import { parseDocument } from 'htmlparser2';
import type { Database } from 'sql.js';

import type { MetadataModel } from '../metadata/metadataModel.js';
import type { TableDef } from '../metadata/types.js';
import { loadSqlJs, quoteIdent, type Store } from '../store/store.js';
import { isTextMimeType, SEARCH_TABLES } from './searchConfig.js';

/** One searchable column of one record that matched a term, with the term's BM25 weight there. */
export interface ColumnHit {
  entity: string;
  recordId: string;
  attribute: string;
  score: number;
}

/** BM25 as Lucene uses it (k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5))). */
const K1 = 1.2;
const B = 0.75;

/** The longest text of one column that is indexed (a note attachment can be 100 MB). */
const MAX_INDEXED_CHARS = 200_000;

type DomNode = ReturnType<typeof parseDocument>['children'][number];

/** Visible text of HTML (knowledge article content), paragraphs kept apart. */
export function htmlText(html: string): string {
  const out: string[] = [];
  const walk = (nodes: readonly DomNode[]): void => {
    for (const n of nodes) {
      if (n.type === 'text') out.push(n.data);
      else if (n.type === 'tag') {
        if (n.name === 'script' || n.name === 'style') continue;
        walk(n.children as DomNode[]);
        if (/^(p|div|li|h[1-6]|br|tr|ol|ul|table|section)$/i.test(n.name)) out.push('\n');
      }
    }
  };
  walk(parseDocument(html, { decodeEntities: true }).children);
  return out.join('').replace(/[ \t]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
}

/**
 * The search index: one SQLite FTS4 row per searchable column of each record (full-text search
 * extension, https://www.sqlite.org/fts3.html, tokenizer `unicode61` without diacritic folding, like
 * the default Lucene analyzer: Unicode words, lower case, no stemming). Each term is looked up in
 * the inverted index and weighed from its `matchinfo` statistics (the "pcnalx" form, fts3.html
 * section 4.4); search.ts combines the terms. A table is re-indexed when its row count or newest
 * row version changed since it was indexed, so the index follows every write.
 */
export class SearchIndex {
  private readonly signatures = new Map<string, string>();
  private nextDocId = 1;

  private constructor(
    private readonly db: Database,
    private readonly model: MetadataModel,
    private readonly store: Store,
  ) {}

  static async open(model: MetadataModel, store: Store): Promise<SearchIndex> {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.run(`CREATE VIRTUAL TABLE s USING fts4(body, tokenize=unicode61 "remove_diacritics=0")`);
    db.run('CREATE TABLE d (docid INTEGER PRIMARY KEY, entity TEXT NOT NULL, recordid TEXT NOT NULL, attribute TEXT NOT NULL)');
    db.run('CREATE INDEX d_entity ON d (entity, recordid)');
    return new SearchIndex(db, model, store);
  }

  /** Tables enabled for search that this organisation has. */
  searchable(table: string): TableDef | undefined {
    return SEARCH_TABLES[table] ? this.model.table(table) : undefined;
  }

  /** The searchable columns of a table (its Quick Find columns that exist in this org). */
  columns(table: string): readonly string[] {
    const t = this.searchable(table);
    if (!t) return [];
    return (SEARCH_TABLES[table] ?? []).filter((c) => t.attributes.some((a) => a.logicalName === c));
  }

  /** Re-indexes `table` if it changed. */
  refresh(table: string): void {
    const t = this.searchable(table);
    if (!t || t.readOnly) return;
    const sig = this.store.get(`SELECT COUNT(*) AS n, MAX(versionnumber) AS v FROM ${quoteIdent(t.logicalName)}`);
    const signature = `${String(sig?.n)}:${String(sig?.v)}`;
    if (this.signatures.get(table) === signature) return;
    const columns = this.columns(table);
    const extra = table === 'annotation' ? ['mimetype'] : [];
    const rows = this.store.all(`SELECT ${[t.primaryIdAttribute, ...columns, ...extra].map(quoteIdent).join(', ')} FROM ${quoteIdent(t.logicalName)}`);
    this.db.run('BEGIN');
    try {
      this.db.run('DELETE FROM s WHERE docid IN (SELECT docid FROM d WHERE entity = ?)', [table]);
      this.db.run('DELETE FROM d WHERE entity = ?', [table]);
      const doc = this.db.prepare('INSERT INTO d (docid, entity, recordid, attribute) VALUES (?, ?, ?, ?)');
      const fts = this.db.prepare('INSERT INTO s (docid, body) VALUES (?, ?)');
      try {
        for (const r of rows) {
          const id = r[t.primaryIdAttribute];
          if (typeof id !== 'string') continue;
          for (const c of columns) {
            const text = this.indexedText(t, c, r[c], r['mimetype']);
            if (!text) continue;
            const docid = this.nextDocId++;
            doc.run([docid, table, id, c]);
            fts.run([docid, text.length > MAX_INDEXED_CHARS ? text.slice(0, MAX_INDEXED_CHARS) : text]);
          }
        }
      } finally {
        doc.free();
        fts.free();
      }
      this.db.run('COMMIT');
    } catch (e) {
      this.db.run('ROLLBACK');
      throw e;
    }
    this.signatures.set(table, signature);
  }

  private indexedText(t: TableDef, column: string, value: unknown, mime: unknown): string | undefined {
    if (value === null || value === undefined) return undefined;
    if (t.logicalName === 'annotation' && column === 'documentbody') {
      if (!isTextMimeType(mime) || typeof value !== 'string') return undefined;
      return Buffer.from(value, 'base64').toString('utf8');
    }
    const text = String(value);
    return t.logicalName === 'knowledgearticle' && column === 'content' ? htmlText(text) : text;
  }

  /** The column rows matching one full-text phrase, each weighed by BM25. */
  matches(phrase: string, boost = 1): ColumnHit[] {
    const stmt = this.db.prepare(`SELECT d.entity AS entity, d.recordid AS recordid, d.attribute AS attribute, matchinfo(s, 'pcnalx') AS mi FROM s JOIN d ON d.docid = s.docid WHERE s MATCH ?`);
    const out: ColumnHit[] = [];
    try {
      stmt.bind([phrase]);
      while (stmt.step()) {
        const r = stmt.getAsObject();
        out.push({ entity: String(r['entity']), recordId: String(r['recordid']), attribute: String(r['attribute']), score: boost * bm25(r['mi'] as Uint8Array) });
      }
    } finally {
      stmt.free();
    }
    return out;
  }

  /** Every indexed record of a table (what `*` matches). */
  records(table: string): string[] {
    const res = this.db.exec('SELECT DISTINCT recordid FROM d WHERE entity = ?', [table]);
    return (res[0]?.values ?? []).map((v) => String(v[0]));
  }

  /** Highlights: for each matched column of the given records, a fragment with `{crmhit}` marks. */
  highlights(query: string, entity: string, recordIds: readonly string[], columns: readonly string[]): Map<string, Record<string, string[]>> {
    const out = new Map<string, Record<string, string[]>>();
    if (!query || recordIds.length === 0 || columns.length === 0) return out;
    const stmt = this.db.prepare(
      `SELECT d.recordid AS recordid, d.attribute AS attribute, snippet(s, '{crmhit}', '{/crmhit}', '...', -1, 64) AS hl FROM s JOIN d ON d.docid = s.docid WHERE s MATCH ? AND d.entity = ? AND d.recordid IN (${recordIds.map(() => '?').join(', ')}) AND d.attribute IN (${columns.map(() => '?').join(', ')})`,
    );
    try {
      stmt.bind([query, entity, ...recordIds, ...columns]);
      while (stmt.step()) {
        const r = stmt.getAsObject();
        const id = String(r['recordid']);
        const hl = String(r['hl'] ?? '');
        if (!hl.includes('{crmhit}')) continue;
        const entry = out.get(id) ?? {};
        (entry[String(r['attribute'])] ??= []).push(hl);
        out.set(id, entry);
      }
    } finally {
      stmt.free();
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * BM25 of one phrase in one column row from FTS4's matchinfo 'pcnalx' (32-bit unsigned integers:
 * phrases, columns, rows, average tokens, tokens in this row, then hits in this row, in all rows,
 * and rows with a hit).
 */
function bm25(blob: Uint8Array): number {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const at = (i: number) => view.getUint32(i * 4, true);
  const rows = at(2);
  const avg = Math.max(1, at(3));
  const length = at(4);
  const tf = at(5);
  const df = at(7);
  const idf = Math.log(1 + (rows - df + 0.5) / (df + 0.5));
  return (idf * (tf * (K1 + 1))) / (tf + K1 * (1 - B + (B * length) / avg));
}
