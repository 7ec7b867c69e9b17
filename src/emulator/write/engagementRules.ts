import { toIso } from '../clock.js';
import { invalidArgument } from '../dataverseError.js';
import type { TableDef } from '../metadata/types.js';
import { newGuid } from '../ids.js';
import type { Row, SqlValue, Store } from '../store/store.js';
import { quoteIdent } from '../store/store.js';

/**
 * What the service refuses or fills in on plain writes of the engagement tables. Each rule names
 * the page that documents it.
 */

const BPF_TABLES = new Set(['leadtoopportunitysalesprocess', 'opportunitysalesprocess']);

export function beforeEngagementWrite(store: Store, table: TableDef, values: Map<string, SqlValue>, current: Row | undefined, now: Date): void {
  if (!BPF_TABLES.has(table.logicalName) || !values.has('activestageid')) return;
  const stageId = values.get('activestageid');
  if (current && stageId === current.activestageid) return;
  const pick = (k: string) => (values.has(k) ? values.get(k) : current?.[k]);
  // A finished or aborted flow is no longer moved: only an active instance has an active stage to
  // change ("Work with business process flows using code": statecode/statuscode of the instance,
  // https://learn.microsoft.com/power-automate/developer/business-process-flows-code).
  if (current && current.statecode !== 0 && pick('statecode') !== 0) throw invalidArgument('The business process flow instance is not active (finished or aborted); reactivate it before changing its stage.');
  if (typeof stageId !== 'string') throw invalidArgument('activestageid must name a stage of the process.');
  // The active stage is one of the process's stages (processstage rows of its processid, same page).
  const stage = store.get(`SELECT stagename, primaryentitytypecode, processid FROM processstage WHERE processstageid = ?`, [stageId]);
  if (!stage || stage.processid !== pick('processid')) throw invalidArgument(`The stage ${stageId} is not a stage of this business process flow.`);
  // Cross-table flows: a stage of the opportunity needs the opportunity the lead was qualified into
  // ("Qualify belongs to the lead, while Develop and later stages belong to the opportunity",
  // https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/get_lead_bpf).
  if (stage.primaryentitytypecode === 'opportunity' && typeof pick('bpf_opportunityid') !== 'string') {
    throw invalidArgument(`The stage "${String(stage.stagename)}" belongs to the opportunity, and this flow has none yet: qualify the lead first.`);
  }
  values.set('activestagestartedon', toIso(now));
  // The traversed path lists the stage ids walked through, comma-separated (same page); a move back
  // trims it to the stage, a move forward appends it, unless the caller sets it.
  if (!values.has('traversedpath')) {
    const path = String(current?.traversedpath ?? '').split(',').filter(Boolean);
    const at = path.indexOf(stageId);
    values.set('traversedpath', (at >= 0 ? path.slice(0, at + 1) : [...path, stageId]).join(','));
  }
}

/**
 * "When you create a connection entity record, two records are created in the database. The first
 * record represents a source to target connection and the second record represents a target to
 * source connection" (Connection entities,
 * https://learn.microsoft.com/dynamics365/customerengagement/on-premises/developer/connection-entities).
 * The pair point at each other (`relatedconnectionid`); the first is the master (`ismaster`).
 * Its name is the record it connects to.
 */
export function afterEngagementCreate(store: Store, table: TableDef, values: Map<string, SqlValue>): void {
  if (table.logicalName !== 'connection') return;
  const id = values.get('connectionid') as string;
  const other = newGuid();
  const nameOf = (v: SqlValue | undefined) => (typeof v === 'string' ? (store.names.get(v)?.name ?? null) : null);
  const mirror = new Map(values);
  mirror.set('connectionid', other);
  mirror.set('record1id', values.get('record2id') ?? null);
  mirror.set('record2id', values.get('record1id') ?? null);
  mirror.set('record1roleid', values.get('record2roleid') ?? null);
  mirror.set('record2roleid', values.get('record1roleid') ?? null);
  mirror.set('ismaster', 0);
  mirror.set('relatedconnectionid', id);
  mirror.set('name', nameOf(values.get('record1id')));
  mirror.set('versionnumber', store.nextVersion());
  const cols = [...mirror.keys()];
  store.run(`INSERT INTO connection (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => mirror.get(c) ?? null));
  store.setName(other, 'connection', (mirror.get('name') as string | null) ?? null);
  const name = nameOf(values.get('record2id'));
  store.run(`UPDATE connection SET ismaster = 1, relatedconnectionid = ?, name = ? WHERE connectionid = ?`, [other, name, id]);
  store.setName(id, 'connection', name);
}

/** The two rows of a connection change together: roles, dates, description and state (same page). */
export function afterEngagementUpdate(store: Store, table: TableDef, id: string, values: Map<string, SqlValue>): void {
  if (table.logicalName !== 'connection') return;
  const related = store.get(`SELECT relatedconnectionid FROM connection WHERE connectionid = ?`, [id])?.relatedconnectionid;
  if (typeof related !== 'string') return;
  const swap: Record<string, string> = { record1roleid: 'record2roleid', record2roleid: 'record1roleid', record1id: 'record2id', record2id: 'record1id' };
  const shared = ['description', 'effectivestart', 'effectiveend', 'statecode', 'statuscode', 'ownerid', 'modifiedon', 'modifiedby'];
  const set = [...values.keys()].flatMap((k) => (swap[k] ? [[swap[k]!, values.get(k) ?? null] as const] : shared.includes(k) ? [[k, values.get(k) ?? null] as const] : []));
  if (!set.length) return;
  store.run(`UPDATE connection SET ${set.map(([k]) => `${quoteIdent(k)} = ?`).join(', ')}, versionnumber = ? WHERE connectionid = ?`, [...set.map(([, v]) => v), store.nextVersion(), related]);
}

/** Deleting either row of a connection deletes the pair. */
export function beforeEngagementDelete(store: Store, table: TableDef, current: Row): void {
  if (table.logicalName !== 'connection' || typeof current.relatedconnectionid !== 'string') return;
  store.run(`DELETE FROM connection WHERE connectionid = ?`, [current.relatedconnectionid]);
  store.deleteName(current.relatedconnectionid);
}
