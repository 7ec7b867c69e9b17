import { toDateOnly, toIso } from '../clock.js';
import { DataverseError, ErrorCode, invalidArgument, notFound, payloadError } from '../dataverseError.js';
import { isGuid, newGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { AttributeDef, TableDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import type { AccessChecker, Principal } from '../security/roles.js';
import type { Row, SqlValue, Store } from '../store/store.js';
import { quoteIdent } from '../store/store.js';
import { afterEngagementCreate, afterEngagementUpdate, beforeEngagementDelete, beforeEngagementWrite } from './engagementRules.js';
import { beforePipelineDelete, beforePipelineWrite } from './pipelineRules.js';
import { afterServiceDeskUpdate, beforeServiceDeskWrite } from './serviceDeskRules.js';

export interface WriteContext {
  model: MetadataModel;
  store: Store;
  access: AccessChecker;
  principal: Principal;
  now: Date;
  /** Random source for generated numbers (ticket numbers); tests and seeding make it deterministic. */
  random?: () => number;
}

type JsonObject = Record<string, unknown>;

interface ParsedPayload {
  values: Map<string, SqlValue>;
  /** Single-valued deep inserts: create the target, then point the lookup at it. */
  deepSingle: Array<{ attribute: string; target: TableDef; body: JsonObject }>;
  /** Collection-valued deep inserts: create children pointing back at the new record. */
  deepCollections: Array<{ target: TableDef; attribute: string; items: JsonObject[] }>;
  /** Lookup targets set by this payload (for Append/AppendTo checks). */
  boundTargets: TableDef[];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function literalText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** `/accounts(<guid>)`, `accounts(<guid>)` or an absolute `…/api/data/v9.2/accounts(<guid>)`. */
export function parseEntityReference(model: MetadataModel, text: string): { table: TableDef; id: string } | undefined {
  const m = /(?:^|\/)([A-Za-z_][A-Za-z0-9_]*)\(([^)]*)\)\s*$/.exec(text.trim());
  if (!m?.[1] || m[2] === undefined) return undefined;
  const table = model.tableBySet(m[1]);
  if (!table) return undefined;
  const id = m[2].replace(/^\{|\}$/g, '');
  if (!isGuid(id)) throw payloadError(table.entitySetName, `Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx). Value: '${m[2]}'.`);
  return { table, id: id.toLowerCase() };
}

export function recordExists(store: Store, table: TableDef, id: string): boolean {
  return store.get(`SELECT 1 AS x FROM ${quoteIdent(table.logicalName)} WHERE ${quoteIdent(table.primaryIdAttribute)} = ?`, [id]) !== undefined;
}

export function loadRow(store: Store, table: TableDef, id: string): Row | undefined {
  return store.get(`SELECT * FROM ${quoteIdent(table.logicalName)} WHERE ${quoteIdent(table.primaryIdAttribute)} = ?`, [id]);
}

/** A number within the column's declared MinValue/MaxValue (the table reference lists them), or Dataverse's out-of-range error. */
function inRange(v: number, a: AttributeDef, table: TableDef): number {
  if ((a.minValue !== undefined && v < a.minValue) || (a.maxValue !== undefined && v > a.maxValue)) {
    throw new DataverseError(
      400,
      ErrorCode.NumberOutOfRange,
      `A validation error occurred. The value ${v} of '${a.logicalName}' on record of type '${table.logicalName}' is outside the valid range(${a.minValue} to ${a.maxValue}).`,
    );
  }
  return v;
}

/**
 * Converts and validates one JSON value for a column, naming the column in every refusal: the Edm
 * type of the property (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-properties),
 * MaxLength, MinValue/MaxValue and the choice values of the table reference
 * (https://learn.microsoft.com/power-apps/developer/data-platform/reference/about-entity-reference).
 */
export function convertValue(table: TableDef, a: AttributeDef, v: unknown): SqlValue {
  if (v === null) return null;
  const set = table.entitySetName;
  const cannot = (edm: string): never => {
    throw payloadError(set, `Cannot convert the literal '${literalText(v)}' to the expected type '${edm}' for the property '${a.logicalName}'.`);
  };
  switch (a.type) {
    case 'String':
    case 'Memo':
    case 'EntityName': {
      if (typeof v !== 'string') return cannot('Edm.String');
      if (a.maxLength !== undefined && v.length > a.maxLength) {
        throw new DataverseError(
          400,
          ErrorCode.StringTooLong,
          `A validation error occurred. The length of the '${a.logicalName}' attribute of the '${table.logicalName}' entity exceeded the maximum allowed length of '${a.maxLength}'.`,
        );
      }
      return v;
    }
    case 'Integer':
    case 'BigInt': {
      if (typeof v !== 'number' || !Number.isInteger(v)) return cannot(a.type === 'BigInt' ? 'Edm.Int64' : 'Edm.Int32');
      return inRange(v, a, table);
    }
    case 'Decimal':
    case 'Double':
    case 'Money': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return cannot(a.type === 'Double' ? 'Edm.Double' : 'Edm.Decimal');
      return inRange(v, a, table);
    }
    case 'Boolean':
      return typeof v === 'boolean' ? (v ? 1 : 0) : cannot('Edm.Boolean');
    case 'DateTime': {
      if (typeof v !== 'string') return cannot(a.format === 'DateOnly' ? 'Edm.Date' : 'Edm.DateTimeOffset');
      const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
      if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) return cannot(a.format === 'DateOnly' ? 'Edm.Date' : 'Edm.DateTimeOffset');
      return a.format === 'DateOnly' ? toDateOnly(d) : toIso(d);
    }
    case 'Picklist':
    case 'State':
    case 'Status': {
      if (typeof v !== 'number' || !Number.isInteger(v)) return cannot('Edm.Int32');
      if (!a.options?.some((o) => o.value === v)) {
        throw new DataverseError(
          400,
          ErrorCode.OptionOutOfRange,
          `A validation error occurred. The value ${v} of '${a.logicalName}' on record of type '${table.logicalName}' is outside the valid range. Accepted Values: ${(a.options ?? []).map((o) => o.value).join(',')}`,
        );
      }
      return v;
    }
    case 'Uniqueidentifier':
      if (typeof v !== 'string' || !isGuid(v)) return cannot('Edm.Guid');
      return v.toLowerCase();
    case 'File':
    case 'Image':
      // "You can't directly set the values in a create or update operation" (file-column-data); the
      // emulator takes images through the same block messages.
      throw invalidArgument(`The ${a.type === 'File' ? 'file' : 'image'} column '${a.logicalName}' is set with InitializeFileBlocksUpload, UploadBlock and CommitFileBlocksUpload, not in a create or update.`);
    default:
      return cannot('Edm.Guid');
  }
}

/**
 * "Invalid property 'Name' was found in entity 'Microsoft.Dynamics.CRM.account'. ---> Microsoft.OData.ODataException:
 * Does not support untyped value in non-open type." (Troubleshoot Web API client errors,
 * https://learn.microsoft.com/troubleshoot/power-platform/dataverse/dataverse-web-api-and-sdk/web-api-client-errors).
 * The page shows code 0x0; the emulator keeps the payload-error code 0x80048d19.
 */
function undeclared(table: TableDef, key: string): DataverseError {
  return new DataverseError(
    400,
    ErrorCode.PayloadError,
    `An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property '${key}' was found in entity 'Microsoft.Dynamics.CRM.${table.logicalName}'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type.`,
  );
}

/**
 * Lookups are set through `<single-valued navigation property>@odata.bind` and related rows created
 * through navigation properties (deep insert), as "Create a table row" describes
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api); a
 * multi-table lookup has one navigation property per target except owner lookups
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-navigation-properties#multi-table-lookups).
 */
export function parsePayload(ctx: WriteContext, table: TableDef, body: unknown, mode: 'create' | 'update'): ParsedPayload {
  if (!isObject(body)) throw payloadError(table.entitySetName, 'The request body must be a JSON object.');
  const out: ParsedPayload = { values: new Map(), deepSingle: [], deepCollections: [], boundTargets: [] };
  for (const [key, value] of Object.entries(body)) {
    if (key === '@odata.type') {
      const t = String(value).replace(/^#/, '');
      if (t !== `Microsoft.Dynamics.CRM.${table.logicalName}`) {
        throw payloadError(table.entitySetName, `A resource with type '${t}' was found, but it is not assignable to the expected type 'Microsoft.Dynamics.CRM.${table.logicalName}'.`);
      }
      continue;
    }
    if (key.endsWith('@odata.bind')) {
      const navName = key.slice(0, -'@odata.bind'.length);
      const nav = ctx.model.nav(table.logicalName, navName);
      // Navigation names are case-sensitive and per table: `parentcustomerid@odata.bind` on contact
      // (the column, not `parentcustomerid_account`) is "An undeclared property … " (Troubleshoot Web API
      // client errors, https://learn.microsoft.com/troubleshoot/power-platform/dataverse/dataverse-web-api-and-sdk/web-api-client-errors).
      if (!nav) {
        throw payloadError(
          table.entitySetName,
          `An undeclared property '${navName}' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.`,
        );
      }
      if (nav.kind !== 'single') throw payloadError(table.entitySetName, `Binding the collection-valued navigation property '${navName}' is not supported; bind from the related record instead.`);
      if (value === null) {
        out.values.set(nav.attribute, null);
        continue;
      }
      if (typeof value !== 'string') throw payloadError(table.entitySetName, `The value of '${key}' must be a URL such as '/accounts(<guid>)'.`);
      const ref = parseEntityReference(ctx.model, value);
      if (!ref) throw payloadError(table.entitySetName, `The value '${value}' of '${key}' is not a valid entity reference.`);
      if (!nav.targets.includes(ref.table.logicalName)) {
        throw payloadError(table.entitySetName, `The entity set '${ref.table.entitySetName}' in '${key}' does not match the navigation property '${navName}', which targets '${nav.targets.join("' or '")}'.`);
      }
      if (!recordExists(ctx.store, ref.table, ref.id)) throw notFound(ref.table.logicalName, ref.id);
      out.values.set(nav.attribute, ref.id);
      out.boundTargets.push(ref.table);
      continue;
    }
    if (key.includes('@')) continue; // instance annotations in a payload are ignored
    const nav = ctx.model.nav(table.logicalName, key);
    if (nav) {
      const target = ctx.model.table(nav.target);
      if (!target) throw undeclared(table, key);
      if (mode === 'update') throw payloadError(table.entitySetName, `Deep insert through '${key}' is only supported when creating a record.`);
      if (nav.kind === 'single') {
        if (!isObject(value)) throw payloadError(table.entitySetName, `The navigation property '${key}' expects an object.`);
        out.deepSingle.push({ attribute: nav.attribute, target, body: value });
      } else if (nav.kind === 'collection') {
        if (!Array.isArray(value) || !value.every(isObject)) throw payloadError(table.entitySetName, `The navigation property '${key}' expects an array of objects.`);
        out.deepCollections.push({ target, attribute: nav.attribute, items: value });
      } else {
        throw payloadError(table.entitySetName, `Deep insert through the many-to-many relationship '${key}' is not supported.`);
      }
      continue;
    }
    const a = ctx.model.attribute(table.logicalName, key);
    if (!a || isLookupType(a.type)) throw undeclared(table, key);
    if (mode === 'create' ? !a.validForCreate : !a.validForUpdate) continue; // read-only columns are ignored, as Dataverse does
    if (a.isPrimaryId && mode === 'update') continue;
    out.values.set(a.logicalName, convertValue(table, a, value));
  }
  return out;
}

/**
 * Validates and completes statecode/statuscode against the table's pairs: each status reason belongs
 * to one state, and a state alone takes its DefaultStatus ("StateCode Choices/Options … DefaultStatus",
 * "StatusCode Choices/Options … State" in the table reference, e.g.
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/email).
 */
function applyStateStatus(table: TableDef, values: Map<string, SqlValue>, current: Row | undefined): void {
  const state = table.attributes.find((a) => a.logicalName === 'statecode');
  const status = table.attributes.find((a) => a.logicalName === 'statuscode');
  if (!state || !status) return;
  const newState = values.get('statecode');
  const newStatus = values.get('statuscode');
  if (newState === undefined && newStatus === undefined) {
    if (!current) {
      values.set('statecode', 0);
      values.set('statuscode', state.options?.find((o) => o.value === 0)?.defaultStatus ?? null);
    }
    return;
  }
  if (newState === null || newStatus === null) throw invalidArgument(`statecode and statuscode cannot be set to null on '${table.logicalName}'.`);
  if (newState !== undefined && newStatus === undefined) {
    values.set('statuscode', state.options?.find((o) => o.value === newState)?.defaultStatus ?? null);
    return;
  }
  const statusOption = status.options?.find((o) => o.value === newStatus);
  if (newState === undefined) {
    values.set('statecode', statusOption?.state ?? null);
    return;
  }
  if (statusOption?.state !== newState) {
    throw invalidArgument(`${String(newStatus)} is not a valid status code for state code ${table.schemaName}State.${state.options?.find((o) => o.value === newState)?.invariantName ?? String(newState)} on ${table.logicalName}.`);
  }
}

function fullName(first: SqlValue | undefined, last: SqlValue | undefined): string | null {
  const name = [first, last].filter((x): x is string => typeof x === 'string' && x.trim() !== '').join(' ');
  return name === '' ? null : name;
}

const TICKET_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

export function ticketNumber(random: () => number): string {
  const digits = String(Math.floor(random() * 100000)).padStart(5, '0');
  let tail = '';
  for (let i = 0; i < 6; i++) tail += TICKET_CHARS.charAt(Math.floor(random() * TICKET_CHARS.length));
  return `CAS-${digits}-${tail}`;
}

/** Columns computed from others: full names, activity type, note target type. */
function applyComputed(ctx: WriteContext, table: TableDef, values: Map<string, SqlValue>, current: Row | undefined): void {
  const t = table.logicalName;
  if ((t === 'contact' || t === 'lead' || t === 'systemuser') && (values.has('firstname') || values.has('lastname') || !current)) {
    const first = values.has('firstname') ? values.get('firstname') : current?.firstname;
    const last = values.has('lastname') ? values.get('lastname') : current?.lastname;
    values.set('fullname', fullName(first, last));
  }
  if (table.isActivity && !current) values.set('activitytypecode', t);
  if (t === 'annotation' && values.has('objectid')) {
    const target = values.get('objectid');
    values.set('objecttypecode', typeof target === 'string' ? (ctx.store.names.get(target)?.table ?? null) : null);
  }
  // The service computes a note's file size from its Base64 document body, and marks it a document.
  if (t === 'annotation' && values.has('documentbody')) {
    const body = values.get('documentbody');
    const bytes = typeof body === 'string' && body.length > 0 ? Buffer.from(body, 'base64').length : null;
    values.set('filesize', bytes);
    if (bytes !== null) values.set('isdocument', 1);
  }
}

function insertRow(store: Store, table: TableDef, values: Map<string, SqlValue>): void {
  const cols = [...values.keys()];
  store.run(
    `INSERT INTO ${quoteIdent(table.logicalName)} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    cols.map((c) => values.get(c) ?? null),
  );
  const id = values.get(table.primaryIdAttribute);
  const name = values.get(table.primaryNameAttribute);
  // usersettings rows share the user's key: the user keeps the name index entry.
  if (table.sharesKeyOf) return;
  if (typeof id === 'string') store.setName(id, table.logicalName, typeof name === 'string' ? name : name === null || name === undefined ? null : String(name));
}

function updateRow(store: Store, table: TableDef, id: string, values: Map<string, SqlValue>, current: Row): void {
  const cols = [...values.keys()];
  if (cols.length === 0) return;
  store.run(
    `UPDATE ${quoteIdent(table.logicalName)} SET ${cols.map((c) => `${quoteIdent(c)} = ?`).join(', ')} WHERE ${quoteIdent(table.primaryIdAttribute)} = ?`,
    [...cols.map((c) => values.get(c) ?? null), id],
  );
  if (table.sharesKeyOf) return;
  if (values.has(table.primaryNameAttribute)) {
    const name = values.get(table.primaryNameAttribute);
    store.setName(id, table.logicalName, typeof name === 'string' ? name : null);
  } else if (!store.names.has(id)) {
    const name = current[table.primaryNameAttribute];
    store.setName(id, table.logicalName, typeof name === 'string' ? name : null);
  }
}

function checkAppend(ctx: WriteContext, table: TableDef, targets: readonly TableDef[]): void {
  // Pointing at a user or team (owner, party) needs no Append privileges in this model.
  const relevant = targets.filter((t) => t.logicalName !== 'systemuser' && t.logicalName !== 'team');
  if (relevant.length === 0) return;
  ctx.access.require('Append', table);
  for (const t of relevant) ctx.access.require('AppendTo', t);
}

export interface CreateOptions {
  /** Key from the URL (upsert). */
  id?: string;
  /** Lookup set by the parent of a deep insert. */
  parent?: { attribute: string; id: string; table: TableDef };
}

export function createRecord(ctx: WriteContext, table: TableDef, body: unknown, opts: CreateOptions = {}): string {
  if (table.readOnly) throw invalidArgument(`The '${table.logicalName}' entity cannot be created through the Web API; create the specific activity instead.`);
  ctx.access.require('Create', table);
  const parsed = parsePayload(ctx, table, body, 'create');
  return ctx.store.transaction(() => {
    const values = parsed.values;
    for (const d of parsed.deepSingle) {
      const childId = createRecord(ctx, d.target, d.body);
      values.set(d.attribute, childId);
      parsed.boundTargets.push(d.target);
    }
    if (opts.parent) {
      values.set(opts.parent.attribute, opts.parent.id);
      parsed.boundTargets.push(opts.parent.table);
    }
    checkAppend(ctx, table, parsed.boundTargets);

    const pk = table.primaryIdAttribute;
    const bodyId = values.get(pk);
    const id = (opts.id ?? (typeof bodyId === 'string' ? bodyId : undefined) ?? newGuid()).toLowerCase();
    // A primary key already in use violates a key constraint: "Cannot insert duplicate key", -2147220937
    // = 0x80040237 (https://learn.microsoft.com/troubleshoot/power-platform/dataverse/user-permissions/client-errors),
    // DuplicateRecord → 412 (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#identify-status-codes).
    if (recordExists(ctx.store, table, id)) {
      throw new DataverseError(412, ErrorCode.DuplicateRecord, 'Cannot insert duplicate key.');
    }
    values.set(pk, id);
    applyStateStatus(table, values, undefined);
    applyComputed(ctx, table, values, undefined);
    beforePipelineWrite(ctx.store, table, values, undefined, { internal: false, random: ctx.random ?? Math.random });
    beforeEngagementWrite(ctx.store, table, values, undefined, ctx.now);
    const now = toIso(ctx.now);
    const has = (name: string) => table.attributes.some((a) => a.logicalName === name);
    if (has('ownerid') && !values.get('ownerid')) values.set('ownerid', ctx.principal.systemUserId);
    if (has('createdon')) values.set('createdon', now);
    if (has('modifiedon')) values.set('modifiedon', now);
    if (has('createdby')) values.set('createdby', ctx.principal.systemUserId);
    if (has('modifiedby')) values.set('modifiedby', ctx.principal.systemUserId);
    values.set('versionnumber', ctx.store.nextVersion());
    const random = ctx.random ?? Math.random;
    if (table.logicalName === 'incident') values.set('ticketnumber', ticketNumber(random));
    if (table.logicalName === 'knowledgearticle') {
      values.set('articlepublicnumber', `KA-${String(10000 + Math.floor(random() * 89999))}`);
      values.set('majorversionnumber', 1);
      values.set('minorversionnumber', 0);
      values.set('knowledgearticleviews', 0);
    }
    if (table.logicalName === 'email' && !values.has('directioncode')) values.set('directioncode', 1);

    for (const a of table.attributes) {
      // RequiredLevel SystemRequired columns (table reference) must have a value on create.
      if (a.requiredLevel !== 'SystemRequired' || a.isPrimaryId) continue;
      const v = values.get(a.logicalName);
      if (v === undefined || v === null || v === '') {
        throw invalidArgument(`A validation error occurred. The value for the required attribute '${a.logicalName}' of the '${table.logicalName}' entity is missing.`);
      }
    }
    insertRow(ctx.store, table, values);
    afterEngagementCreate(ctx.store, table, values);

    for (const c of parsed.deepCollections) {
      for (const item of c.items) createRecord(ctx, c.target, item, { parent: { attribute: c.attribute, id, table } });
    }
    if (table.logicalName === 'email') completeEmailParties(ctx, id);
    return id;
  });
}

/** Emails get a From party (the caller) when none was given, and their recipient summary. */
function completeEmailParties(ctx: WriteContext, emailId: string): void {
  const parties = ctx.store.all(`SELECT participationtypemask, partyid, addressused FROM activityparty WHERE activityid = ?`, [emailId]);
  if (!parties.some((p) => p.participationtypemask === 1)) {
    ctx.store.run(
      `INSERT INTO activityparty (activitypartyid, activityid, partyid, participationtypemask, addressused, versionnumber) VALUES (?, ?, ?, 1, ?, ?)`,
      [newGuid(), emailId, ctx.principal.systemUserId, partyAddress(ctx.store, ctx.principal.systemUserId), ctx.store.nextVersion()],
    );
  }
  refreshEmailSummary(ctx.store, emailId);
}

/** The email address a party resolves to: the explicit address, else the record's primary email. */
export function partyAddress(store: Store, partyId: SqlValue | undefined, explicit?: SqlValue): string | null {
  if (typeof explicit === 'string' && explicit !== '') return explicit;
  if (typeof partyId !== 'string') return null;
  const table = store.names.get(partyId)?.table;
  const column = table === 'systemuser' ? 'internalemailaddress' : 'emailaddress1';
  if (!table || !['systemuser', 'contact', 'account', 'lead'].includes(table)) return null;
  const r = store.get(`SELECT ${quoteIdent(column)} AS e FROM ${quoteIdent(table)} WHERE ${quoteIdent(`${table}id`)} = ?`, [partyId]);
  return typeof r?.e === 'string' && r.e !== '' ? r.e : null;
}

export function refreshEmailSummary(store: Store, emailId: string): void {
  const parties = store.all(`SELECT participationtypemask, partyid, addressused FROM activityparty WHERE activityid = ?`, [emailId]);
  const sender = parties.find((p) => p.participationtypemask === 1);
  const to = parties.filter((p) => p.participationtypemask === 2).map((p) => partyAddress(store, p.partyid, p.addressused)).filter((x): x is string => x !== null);
  store.run(`UPDATE email SET sender = ?, torecipients = ? WHERE activityid = ?`, [
    sender ? partyAddress(store, sender.partyid, sender.addressused) : null,
    to.length ? to.join(';') : null,
    emailId,
  ]);
}

export interface UpdateOptions {
  /** Internal callers (actions) may set states the Web API refuses. */
  allowStateChange?: boolean;
}

export function updateRecord(ctx: WriteContext, table: TableDef, id: string, body: unknown, current: Row, opts: UpdateOptions = {}): void {
  if (table.readOnly) throw invalidArgument(`The '${table.logicalName}' entity cannot be updated through the Web API.`);
  ctx.access.require('Write', table);
  const parsed = parsePayload(ctx, table, body, 'update');
  const values = parsed.values;
  if (!opts.allowStateChange) {
    // Resolving a case and winning/losing an opportunity are messages of their own (CloseIncident,
    // WinOpportunity, LoseOpportunity: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/closeincident).
    const state = values.get('statecode');
    const status = values.get('statuscode');
    const stateOfStatus = table.attributes.find((a) => a.logicalName === 'statuscode')?.options?.find((o) => o.value === status)?.state;
    const target = state ?? stateOfStatus;
    if (table.logicalName === 'incident' && target === 1) {
      throw invalidArgument('This message can not be used to set the state of incident to Resolved. In order to set state of incident to Resolved, use the CloseIncidentRequest message instead.');
    }
    if (table.logicalName === 'opportunity' && (target === 1 || target === 2)) {
      const which = target === 1 ? 'Won' : 'Lost';
      throw invalidArgument(`This message can not be used to set the state of opportunity to ${which}. In order to set state of opportunity to ${which}, use the ${which === 'Won' ? 'WinOpportunityRequest' : 'LoseOpportunityRequest'} message instead.`);
    }
  }
  checkAppend(ctx, table, parsed.boundTargets);
  // A new owner is the Assign message ("Assign: PATCH … update the ownerid property", each table reference's Messages): refused without prvAssign<Table>, whatever Write allows.
  if (values.has('ownerid') && values.get('ownerid') !== current['ownerid']) ctx.access.require('Assign', table);
  ctx.store.transaction(() => {
    applyStateStatus(table, values, current);
    applyComputed(ctx, table, values, current);
    beforePipelineWrite(ctx.store, table, values, current, { internal: opts.allowStateChange === true, random: ctx.random ?? Math.random });
    beforeEngagementWrite(ctx.store, table, values, current, ctx.now);
    beforeServiceDeskWrite(table, values, current, ctx.now);
    const has = (name: string) => table.attributes.some((a) => a.logicalName === name);
    if (has('modifiedon')) values.set('modifiedon', toIso(ctx.now));
    if (has('modifiedby')) values.set('modifiedby', ctx.principal.systemUserId);
    values.set('versionnumber', ctx.store.nextVersion());
    updateRow(ctx.store, table, id, values, current);
    afterEngagementUpdate(ctx.store, table, id, values);
    afterServiceDeskUpdate(ctx.store, table, id, values);
    if (table.logicalName === 'activityparty' && typeof current.activityid === 'string') refreshEmailSummary(ctx.store, current.activityid);
  });
}

export function deleteRecord(ctx: WriteContext, table: TableDef, id: string): void {
  if (table.readOnly) throw invalidArgument(`The '${table.logicalName}' entity cannot be deleted through the Web API.`);
  ctx.access.require('Delete', table);
  const current = loadRow(ctx.store, table, id);
  if (!current) throw notFound(table.logicalName, id);
  beforePipelineDelete(ctx.store, table, current);
  ctx.store.transaction(() => {
    beforeEngagementDelete(ctx.store, table, current);
    deleteCascade(ctx, table, id, 0);
  });
}

/** Deletes a row; parental relationships delete children, the others lose the link. */
function deleteCascade(ctx: WriteContext, table: TableDef, id: string, depth: number): void {
  if (depth > 8) return;
  for (const ref of ctx.model.referencesTo(table.logicalName)) {
    const col = quoteIdent(ref.attribute.logicalName);
    const refTable = quoteIdent(ref.table.logicalName);
    if (ref.cascadeDelete) {
      const children = ctx.store.all(`SELECT ${quoteIdent(ref.table.primaryIdAttribute)} AS id FROM ${refTable} WHERE ${col} = ?`, [id]);
      for (const c of children) if (typeof c.id === 'string' && c.id !== id) deleteCascade(ctx, ref.table, c.id, depth + 1);
    } else {
      ctx.store.run(`UPDATE ${refTable} SET ${col} = NULL, versionnumber = ? WHERE ${col} = ?`, [ctx.store.nextVersion(), id]);
    }
  }
  for (const m of ctx.model.manyToManyDefs()) {
    if (m.entity1 === table.logicalName) ctx.store.run(`DELETE FROM ${quoteIdent(m.intersect)} WHERE ${quoteIdent(m.entity1Column)} = ?`, [id]);
    if (m.entity2 === table.logicalName) ctx.store.run(`DELETE FROM ${quoteIdent(m.intersect)} WHERE ${quoteIdent(m.entity2Column)} = ?`, [id]);
  }
  ctx.store.run(`DELETE FROM ${quoteIdent(table.logicalName)} WHERE ${quoteIdent(table.primaryIdAttribute)} = ?`, [id]);
  if (!table.sharesKeyOf) ctx.store.deleteName(id);
}

/** Writes computed by actions (QualifyLead, CloseIncident, SendEmail): validated like any update, no Web API state guards. */
export function systemUpdate(ctx: WriteContext, table: TableDef, id: string, body: JsonObject): void {
  const current = loadRow(ctx.store, table, id);
  if (!current) throw notFound(table.logicalName, id);
  updateRecord(ctx, table, id, body, current, { allowStateChange: true });
}
