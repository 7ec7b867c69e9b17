import { toIso } from '../clock.js';
import type { TableDef } from '../metadata/types.js';
import type { Row, SqlValue, Store } from '../store/store.js';

/**
 * What the platform does around queues when rows change:
 * - a queue item's `workeridmodifiedon` ("the date and time when the queue item was last assigned
 *   to a user", read-only; queueitem table reference) is stamped when its worker changes;
 * - a case that is resolved or cancelled leaves its queues: its active queue items are deactivated,
 *   as Customer Service does for closed cases (queues overview,
 *   https://learn.microsoft.com/dynamics365/customer-service/administer/queues-overview).
 */
export function beforeServiceDeskWrite(table: TableDef, values: Map<string, SqlValue>, current: Row | undefined, now: Date): void {
  if (table.logicalName === 'queueitem' && values.has('workerid') && values.get('workerid') !== (current?.['workerid'] ?? null)) {
    values.set('workeridmodifiedon', toIso(now));
  }
}

export function afterServiceDeskUpdate(store: Store, table: TableDef, id: string, values: ReadonlyMap<string, SqlValue>): void {
  if (table.logicalName !== 'incident') return;
  const state = values.get('statecode');
  if (state === undefined || state === 0) return;
  if (!store.hasTable('queueitem')) return;
  for (const q of store.all(`SELECT queueitemid FROM queueitem WHERE objectid = ? AND statecode = 0`, [id])) {
    store.run(`UPDATE queueitem SET statecode = 1, statuscode = 2, versionnumber = ? WHERE queueitemid = ?`, [store.nextVersion(), q.queueitemid ?? null]);
  }
}
