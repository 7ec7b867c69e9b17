import { toIso } from '../clock.js';
import { invalidArgument, notFound, payloadError } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { isGuid } from '../ids.js';
import type { TableDef } from '../metadata/types.js';
import type { Row, SqlValue } from '../store/store.js';
import { createRecord, loadRow, systemUpdate } from '../write/recordWriter.js';
import { actionParameters, actionTable, type JsonObject } from './actionParameters.js';

/**
 * The queue and template messages the service desk tools use. Bound to a queue item:
 * PickFromQueue (SystemUser, RemoveQueueItem), ReleaseToQueue and RemoveFromQueue (no parameters);
 * bound to a queue: AddToQueue (Target, SourceQueue, QueueItemProperties → QueueItemId); unbound:
 * InstantiateTemplate (TemplateId, ObjectType, ObjectId → Collection(crmbaseentity) of emails)
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/<action>).
 */

type Bound = (scope: RequestScope, id: string) => ApiResponse;

/** The bound action `name` of `table`, if the emulator implements it. */
export function serviceDeskBoundAction(table: TableDef, name: string): Bound | undefined {
  const bare = name.replace(/^Microsoft\.Dynamics\.CRM\./, '');
  if (table.logicalName === 'queueitem') {
    if (bare === 'PickFromQueue') return pickFromQueue;
    if (bare === 'ReleaseToQueue') return releaseToQueue;
    if (bare === 'RemoveFromQueue') return removeFromQueue;
  }
  if (table.logicalName === 'queue' && bare === 'AddToQueue') return addToQueue;
  return undefined;
}

export function isInstantiateTemplate(name: string): boolean {
  return name.replace(/^Microsoft\.Dynamics\.CRM\./, '') === 'InstantiateTemplate';
}

/** The queue item, readable and active; "PickFromQueueRequest … the caller must have privileges on the QueueItem entity" (PickFromQueueRequest class). */
function activeItem(scope: RequestScope, id: string, op: 'Write' | 'Delete' = 'Write'): { table: TableDef; row: Row } {
  const table = actionTable(scope, 'queueitem');
  scope.access.require('Read', table);
  scope.access.require(op, table);
  const row = loadRow(scope.core.store, table, id);
  if (!row) throw notFound('queueitem', id);
  if (row.statecode !== 0) throw invalidArgument(`The queue item with Id ${id} is inactive: it has been removed from its queue.`);
  return { table, row };
}

/** An entity-typed parameter `{ "@odata.type": "Microsoft.Dynamics.CRM.<table>", "<table>id": "<guid>" }` (use-web-api-actions, entity parameters). */
function entityParameter(scope: RequestScope, action: string, param: string, value: unknown, allowed?: readonly string[]): { table: TableDef; id: string } {
  const v = value as JsonObject;
  const type = typeof v['@odata.type'] === 'string' ? String(v['@odata.type']).replace(/^#?Microsoft\.Dynamics\.CRM\./, '') : undefined;
  const table = type ? scope.core.model.table(type) : undefined;
  if (!table) throw payloadError('queues', `The ${param} parameter of '${action}' must name its entity type in '@odata.type', e.g. 'Microsoft.Dynamics.CRM.incident'.`);
  if (allowed && !allowed.includes(table.logicalName)) throw invalidArgument(`'${action}' does not accept a ${table.logicalName} as ${param}.`);
  const id = v[table.primaryIdAttribute];
  if (typeof id !== 'string' || !isGuid(id)) throw payloadError(table.entitySetName, `The ${param} parameter of '${action}' must carry '${table.primaryIdAttribute}'.`);
  return { table, id: id.toLowerCase() };
}

/**
 * PickFromQueue: "Assigns a queue item to a user and optionally remove the queue item from the
 * queue"; returns nothing (PickFromQueue action). The worker is set and stamped; removing
 * deactivates the item, as RemoveFromQueue does.
 */
function pickFromQueue(scope: RequestScope, id: string): ApiResponse {
  const p = actionParameters('queueitems', 'PickFromQueue', scope.req.body, {
    SystemUser: { type: 'object', required: true },
    RemoveQueueItem: { type: 'boolean', required: true },
  });
  const { table } = activeItem(scope, id);
  const worker = entityParameter(scope, 'PickFromQueue', 'SystemUser', p.SystemUser, ['systemuser']);
  const user = loadRow(scope.core.store, worker.table, worker.id);
  if (!user) throw notFound('systemuser', worker.id);
  if (user.isdisabled === 1) throw invalidArgument(`The user with Id ${worker.id} is disabled and cannot work on queue items.`);
  scope.core.store.transaction(() => {
    systemUpdate(scope.write, table, id, { 'workerid_systemuser@odata.bind': `/systemusers(${worker.id})`, ...(p.RemoveQueueItem === true && { statecode: 1, statuscode: 2 }) });
  });
  return { status: 204 };
}

/** ReleaseToQueue: "Assigns a queue item back to the queue owner so others can pick it" (ReleaseToQueue action). */
function releaseToQueue(scope: RequestScope, id: string): ApiResponse {
  actionParameters('queueitems', 'ReleaseToQueue', scope.req.body ?? {}, {});
  const { table } = activeItem(scope, id);
  systemUpdate(scope.write, table, id, { 'workerid_systemuser@odata.bind': null });
  return { status: 204 };
}

/** RemoveFromQueue: "Removes a queue item from a queue" (RemoveFromQueue action): the item becomes inactive. */
function removeFromQueue(scope: RequestScope, id: string): ApiResponse {
  actionParameters('queueitems', 'RemoveFromQueue', scope.req.body ?? {}, {});
  const { table } = activeItem(scope, id);
  systemUpdate(scope.write, table, id, { statecode: 1, statuscode: 2 });
  return { status: 204 };
}

/**
 * AddToQueue: "Moves an entity record from a source queue to a destination queue"; returns
 * QueueItemId (AddToQueue action, AddToQueueResponse). A record already active in another queue is
 * moved (its item now points at the destination, as one record has one active item); a record
 * already in the destination keeps its item.
 */
function addToQueue(scope: RequestScope, queueId: string): ApiResponse {
  const p = actionParameters('queues', 'AddToQueue', scope.req.body, {
    Target: { type: 'object', required: true },
    SourceQueue: { type: 'object', required: false },
    QueueItemProperties: { type: 'object', required: false },
  });
  const store = scope.core.store;
  const queueT = actionTable(scope, 'queue');
  const itemT = actionTable(scope, 'queueitem');
  scope.access.require('Read', queueT);
  scope.access.require('AppendTo', queueT);
  const queue = loadRow(store, queueT, queueId);
  if (!queue) throw notFound('queue', queueId);
  if (queue.statecode !== 0) throw invalidArgument(`The queue with Id ${queueId} is inactive.`);
  const target = entityParameter(scope, 'AddToQueue', 'Target', p.Target, ['incident', 'email', 'task', 'phonecall']);
  const record = loadRow(store, target.table, target.id);
  if (!record) throw notFound(target.table.logicalName, target.id);
  scope.access.require('Read', target.table);
  scope.access.require('Append', target.table);
  const props = { ...((p.QueueItemProperties as JsonObject | undefined) ?? {}) };
  delete props['@odata.type'];
  for (const k of Object.keys(props)) {
    if (k !== 'priority' && k !== 'title' && !k.startsWith('workerid_')) throw invalidArgument(`QueueItemProperties may set title, priority and the worker; '${k}' is not allowed.`);
  }
  const current = store.get(`SELECT queueitemid, queueid FROM queueitem WHERE objectid = ? AND statecode = 0`, [target.id]);
  const primaryName = record[target.table.primaryNameAttribute] as SqlValue;
  return store.transaction(() => {
    if (current && current.queueid === queueId) return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.AddToQueueResponse`, QueueItemId: String(current.queueitemid) } };
    if (current) {
      const id = String(current.queueitemid);
      systemUpdate(scope.write, itemT, id, { ...props, 'queueid@odata.bind': `/queues(${queueId})`, 'workerid_systemuser@odata.bind': null });
      store.run(`UPDATE queueitem SET enteredon = ? WHERE queueitemid = ?`, [toIso(scope.write.now), id]);
      return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.AddToQueueResponse`, QueueItemId: id } };
    }
    const id = createRecord(scope.write, itemT, {
      title: typeof primaryName === 'string' ? primaryName : null,
      ...props,
      'queueid@odata.bind': `/queues(${queueId})`,
      [`objectid_${target.table.logicalName}@odata.bind`]: `/${target.table.entitySetName}(${target.id})`,
    });
    store.run(`UPDATE queueitem SET enteredon = ? WHERE queueitemid = ?`, [toIso(scope.write.now), id]);
    return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.AddToQueueResponse`, QueueItemId: id } };
  });
}

/** `{!table:column;default}` data fields of a template (the legacy template syntax), or `{!User:column;}` for the sender. */
const DATA_FIELD = /\{!([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*);([^}]*)\}/g;

/**
 * InstantiateTemplate: "Creates an email message from a template"; returns the email, not saved
 * (InstantiateTemplate action; InstantiateTemplateResponse.EntityCollection "the instantiated email
 * records"). "the caller must have privileges on the Email and Template entities and access rights
 * on the specified record" (InstantiateTemplateRequest class). The template must be for the
 * object's table.
 */
export function instantiateTemplate(scope: RequestScope): ApiResponse {
  const p = actionParameters('templates', 'InstantiateTemplate', scope.req.body, {
    TemplateId: { type: 'string', required: true },
    ObjectType: { type: 'string', required: true },
    ObjectId: { type: 'string', required: true },
  });
  const store = scope.core.store;
  const templateT = actionTable(scope, 'template');
  const email = actionTable(scope, 'email');
  scope.access.require('Read', templateT);
  scope.access.require('Read', email);
  scope.access.require('Create', email);
  const templateId = String(p.TemplateId).toLowerCase();
  const objectId = String(p.ObjectId).toLowerCase();
  if (!isGuid(templateId)) throw payloadError('templates', `Cannot convert the literal '${String(p.TemplateId)}' to the expected type 'Edm.Guid' for the parameter 'TemplateId'.`);
  if (!isGuid(objectId)) throw payloadError('templates', `Cannot convert the literal '${String(p.ObjectId)}' to the expected type 'Edm.Guid' for the parameter 'ObjectId'.`);
  const objectT = scope.core.model.table(String(p.ObjectType));
  if (!objectT) throw invalidArgument(`The entity '${String(p.ObjectType)}' does not exist.`);
  const template = loadRow(store, templateT, templateId);
  if (!template) throw notFound('template', templateId);
  if (template.templatetypecode !== objectT.logicalName) {
    throw invalidArgument(`The template with Id ${templateId} is for ${String(template.templatetypecode)} records and cannot be used with a ${objectT.logicalName}.`);
  }
  scope.access.require('Read', objectT);
  const object = loadRow(store, objectT, objectId);
  if (!object) throw notFound(objectT.logicalName, objectId);
  const sender = loadRow(store, actionTable(scope, 'systemuser'), scope.req.principal.systemUserId);
  // A data field names the object, the sending user, or a table the object looks up (a case's contact).
  const related = new Map<string, Row | undefined>();
  const rowFor = (name: string): Row | undefined => {
    const t = name.toLowerCase();
    if (t === 'user') return sender;
    if (t === objectT.logicalName) return object;
    if (!related.has(t)) {
      const target = scope.core.model.table(t);
      const via = objectT.attributes.find((a) => a.targets?.some((x) => x.table === t) && typeof object[a.logicalName] === 'string' && store.names.get(String(object[a.logicalName]))?.table === t);
      related.set(t, target && via && scope.access.can('Read', target) ? loadRow(store, target, String(object[via.logicalName])) : undefined);
    }
    return related.get(t);
  };
  const fill = (text: unknown): string | null =>
    typeof text !== 'string'
      ? null
      : text.replace(DATA_FIELD, (_m, table: string, column: string, fallback: string) => {
          const v = rowFor(table)?.[column.toLowerCase()];
          return v === null || v === undefined || v === '' ? fallback : String(v);
        });
  return {
    status: 200,
    body: {
      '@odata.context': `${scope.req.baseUrl}$metadata#emails`,
      value: [
        {
          '@odata.type': '#Microsoft.Dynamics.CRM.email',
          subject: fill(template.subject),
          description: fill(template.body),
          _regardingobjectid_value: objectId,
          '_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname': objectT.logicalName,
        },
      ],
    },
  };
}
