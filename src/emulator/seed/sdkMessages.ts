import { stableGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { TableDef } from '../metadata/types.js';
import type { Store } from '../store/store.js';
import { Inserter } from './seedOrganisation.js';

export const BULK_MESSAGES = ['CreateMultiple', 'UpdateMultiple'] as const;
export type BulkMessage = (typeof BULK_MESSAGES)[number];

/**
 * The service offers CreateMultiple and UpdateMultiple on "custom standard tables and many common
 * standard tables, but not all" (bulk-operations, Availability with standard tables): which ones is
 * the org's to say, in sdkmessagefilter. The emulator leaves notes, the activity tables and the
 * system tables without them, so the path a client takes where they are missing ($batch) is
 * exercised; a client must read the filters, never assume.
 */
const WITHOUT_BULK = new Set([
  'annotation',
  'activitypointer',
  'activityparty',
  'email',
  'task',
  'phonecall',
  'appointment',
  'systemuser',
  'businessunit',
  'role',
  'team',
  'usersettings',
  'customapi',
  'customapirequestparameter',
  'customapiresponseproperty',
  'sdkmessage',
  'sdkmessagefilter',
  'workflow',
  'processstage',
]);

function supportsBulk(table: TableDef): boolean {
  return !table.readOnly && !WITHOUT_BULK.has(table.logicalName);
}

const messageId = (name: BulkMessage) => stableGuid(`sdkmessage:${name}`);
const filterId = (name: BulkMessage, table: string) => stableGuid(`sdkmessagefilter:${name}:${table}`);

/** The bulk message filters of one table (a custom table gets them when it is created). Idempotent. */
export function registerBulkMessages(store: Store, model: MetadataModel, table: TableDef): void {
  if (!model.table('sdkmessagefilter') || !supportsBulk(table)) return;
  const ins = new Inserter(store, model);
  for (const name of BULK_MESSAGES) {
    const id = filterId(name, table.logicalName);
    if (store.get(`SELECT 1 AS x FROM sdkmessagefilter WHERE sdkmessagefilterid = ?`, [id])) continue;
    ins.insert('sdkmessagefilter', { sdkmessagefilterid: id, name: `${name} ${table.logicalName}`, sdkmessageid: messageId(name), primaryobjecttypecode: table.logicalName, secondaryobjecttypecode: 'none', availability: 0, isvisible: true });
  }
}

/** The filters of a deleted table go with it. */
export function unregisterBulkMessages(store: Store, table: string): void {
  if (store.hasTable('sdkmessagefilter')) store.run(`DELETE FROM sdkmessagefilter WHERE primaryobjecttypecode = ?`, [table]);
}

/** Whether the org offers `message` on `table`: the same rows a client reads. */
export function bulkMessageAvailable(store: Store, message: BulkMessage, table: string): boolean {
  return store.get(`SELECT 1 AS x FROM sdkmessagefilter WHERE sdkmessageid = ? AND primaryobjecttypecode = ?`, [messageId(message), table]) !== undefined;
}

/** The bulk messages and their filters for every table of the model; idempotent, so a saved org gets them when loaded. */
export function seedSdkMessages(store: Store, model: MetadataModel): void {
  if (!model.table('sdkmessage')) return;
  store.transaction(() => {
    const ins = new Inserter(store, model);
    for (const name of BULK_MESSAGES) {
      if (!store.get(`SELECT 1 AS x FROM sdkmessage WHERE sdkmessageid = ?`, [messageId(name)])) ins.insert('sdkmessage', { sdkmessageid: messageId(name), name, categoryname: 'Bulk' });
    }
    for (const t of model.allTables()) registerBulkMessages(store, model, t);
  });
}
