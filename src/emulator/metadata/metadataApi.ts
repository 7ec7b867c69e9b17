import { DataverseError, ErrorCode, invalidArgument, payloadError, propertyNotFound, queryError, resourceNotFound } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { isGuid } from '../ids.js';
import { evaluateFilter } from '../odata/evaluateFilter.js';
import { parseFilter } from '../odata/filterParser.js';
import type { ExpandText } from '../odata/queryOptions.js';
import { parseExpand } from '../odata/queryOptions.js';
import { ATTRIBUTE_ENTITY, METADATA_ENTITY } from '../security/roles.js';
import type { ColumnSpec } from './defineTable.js';
import { registerBulkMessages, unregisterBulkMessages } from '../seed/sdkMessages.js';
import { ACTIVE_INACTIVE, defineTable, pluralize, toAttributeDef } from './defineTable.js';
import { attributeMetadata, attributeOdataType, castMatches, entityMetadata, relationshipMetadata } from './metadataSerializer.js';
import type { AttributeDef, AttributeType, OwnershipType, RequiredLevel, TableDef } from './types.js';

type Json = Record<string, unknown>;

interface MetaQuery {
  select?: string[];
  filter?: string;
  expand: ExpandText[];
}

function metaQuery(params: URLSearchParams): MetaQuery {
  const q: MetaQuery = { expand: [] };
  for (const [k, v] of params) {
    if (!k.startsWith('$')) continue;
    if (k === '$select') q.select = v.split(',').map((s) => s.trim()).filter(Boolean);
    else if (k === '$filter') q.filter = v;
    else if (k === '$expand') q.expand = parseExpand(v);
    else throw queryError(`The query parameter ${k} is not supported for metadata queries.`);
  }
  return q;
}

/** Applies $select; expanded navigation properties (OptionSet…) survive the projection. */
function project(obj: Json, select: readonly string[] | undefined, typeName: string, expanded: readonly string[] = []): Json {
  if (!select) return obj;
  const out: Json = {};
  if ('@odata.type' in obj) out['@odata.type'] = obj['@odata.type'];
  for (const s of select) {
    if (!(s in obj)) throw propertyNotFound(s, typeName);
    out[s] = obj[s];
  }
  out.MetadataId = obj.MetadataId;
  for (const e of expanded) if (e in obj) out[e] = obj[e];
  return out;
}

const OPTION_SET_NAVS = ['OptionSet', 'GlobalOptionSet'];

function filterAll<T extends Json>(items: T[], filter: string | undefined): T[] {
  if (filter === undefined) return items;
  const node = parseFilter(filter);
  return items.filter((i) => evaluateFilter(node, i));
}

function parseKey(text: string, kind: string): { logicalName?: string; metadataId?: string } {
  const m = /^LogicalName\s*=\s*'([^']*)'$/.exec(text.trim());
  if (m?.[1] !== undefined) return { logicalName: m[1].toLowerCase() };
  const id = text.trim().replace(/^\{|\}$/g, '');
  if (isGuid(id)) return { metadataId: id.toLowerCase() };
  throw queryError(`The key '${text}' of ${kind} is not valid. Use LogicalName='<name>' or the MetadataId.`);
}

function notFoundEntity(key: string): DataverseError {
  return new DataverseError(404, ErrorCode.NotFound, `Could not find entity with name or id ${key}.`);
}

/**
 * `EntityDefinitions`, `…/Attributes`, typed casts (`/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`)
 * with `$expand=OptionSet`, and the relationship collections
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api).
 */
export class MetadataApi {
  constructor(private readonly scope: RequestScope) {}

  private get model() {
    return this.scope.core.model;
  }

  private managed(t: TableDef): boolean {
    return !this.scope.core.isUnmanagedCustomTable(t.logicalName);
  }

  private findTable(keyText: string): TableDef {
    const key = parseKey(keyText, 'EntityDefinitions');
    const t = key.logicalName ? this.model.table(key.logicalName) : this.model.allTables().find((x) => x.metadataId === key.metadataId);
    if (!t) throw notFoundEntity(keyText);
    return t;
  }

  private findAttribute(t: TableDef, keyText: string): AttributeDef {
    const key = parseKey(keyText, 'Attributes');
    const a = key.logicalName ? this.model.attribute(t.logicalName, key.logicalName) : t.attributes.find((x) => x.metadataId === key.metadataId);
    if (!a) throw new DataverseError(404, ErrorCode.NotFound, `Could not find attribute with name or id ${keyText} on entity ${t.logicalName}.`);
    return a;
  }

  private attributeJson(t: TableDef, a: AttributeDef, expandOptionSet: boolean): Json {
    return attributeMetadata(t, a, t.attributes.indexOf(a) + 1, expandOptionSet, this.managed(t) && !a.isCustom, this.scope.req.principal.uiLanguageId);
  }

  private attributesJson(t: TableDef, expand: ExpandText): Json[] {
    const withOptions = expand.expand.some((e) => e.nav === 'OptionSet' || e.nav === 'GlobalOptionSet');
    const all = t.attributes.map((a) => this.attributeJson(t, a, withOptions));
    return filterAll(all, expand.filter).map((a) => project(a, expand.select, 'Microsoft.Dynamics.CRM.AttributeMetadata', withOptions ? OPTION_SET_NAVS : []));
  }

  private entityJson(t: TableDef): Json {
    return entityMetadata(t, this.managed(t));
  }

  private withExpands(t: TableDef, obj: Json, expand: readonly ExpandText[]): Json {
    for (const e of expand) {
      if (e.nav === 'Attributes') obj.Attributes = this.attributesJson(t, e);
      else if (e.nav === 'OneToManyRelationships') obj.OneToManyRelationships = relationshipMetadata(this.model, t, 'OneToMany');
      else if (e.nav === 'ManyToOneRelationships') obj.ManyToOneRelationships = relationshipMetadata(this.model, t, 'ManyToOne');
      else if (e.nav === 'ManyToManyRelationships') obj.ManyToManyRelationships = relationshipMetadata(this.model, t, 'ManyToMany');
      else throw propertyNotFound(e.nav, 'EntityMetadata');
    }
    return obj;
  }

  handle(segments: string[]): ApiResponse {
    const { req, access } = this.scope;
    const [first = '', second, third, fourth] = segments;
    const m = /^EntityDefinitions(?:\((.*)\))?$/.exec(first);
    if (!m) throw resourceNotFound(first);
    const q = metaQuery(req.url.searchParams);
    const ctx = `${req.baseUrl}$metadata#EntityDefinitions`;
    if (m[1] === undefined) {
      if (second !== undefined) throw resourceNotFound(second);
      if (req.method === 'GET') {
        access.requireNamed('prvReadEntity', METADATA_ENTITY);
        const all = this.model.allTables().map((t) => this.entityJson(t));
        const value = filterAll(all, q.filter).map((e) => {
          const t = this.model.table(String(e.LogicalName));
          const projected = project(e, q.select, 'Microsoft.Dynamics.CRM.EntityMetadata');
          return t ? this.withExpands(t, projected, q.expand) : projected;
        });
        return { status: 200, body: { '@odata.context': `${ctx}${q.select ? `(${q.select.join(',')})` : ''}`, value } };
      }
      if (req.method === 'POST') return this.createTable();
      throw new DataverseError(405, ErrorCode.QueryError, `The HTTP method '${req.method}' is not allowed for EntityDefinitions.`);
    }
    const t = this.findTable(m[1]);
    if (second === undefined) {
      if (req.method === 'GET') {
        access.requireNamed('prvReadEntity', METADATA_ENTITY);
        const obj = this.withExpands(t, project(this.entityJson(t), q.select, 'Microsoft.Dynamics.CRM.EntityMetadata'), q.expand);
        return { status: 200, body: { '@odata.context': `${ctx}${q.select ? `(${q.select.join(',')})` : ''}/$entity`, ...obj } };
      }
      if (req.method === 'DELETE') return this.deleteTable(t);
      if (req.method === 'PUT' || req.method === 'PATCH') throw invalidArgument('Updating table definitions (PUT EntityDefinitions) is not supported by the local emulator.');
      throw new DataverseError(405, ErrorCode.QueryError, `The HTTP method '${req.method}' is not allowed for EntityDefinitions.`);
    }
    if (second === 'OneToManyRelationships' || second === 'ManyToOneRelationships' || second === 'ManyToManyRelationships') {
      access.requireNamed('prvReadEntity', METADATA_ENTITY);
      const kind = second.replace('Relationships', '') as 'OneToMany' | 'ManyToOne' | 'ManyToMany';
      const value = filterAll(relationshipMetadata(this.model, t, kind), q.filter);
      return { status: 200, body: { '@odata.context': `${ctx}('${t.logicalName}')/${second}`, value } };
    }
    const attrMatch = /^Attributes(?:\((.*)\))?$/.exec(second);
    if (!attrMatch) throw resourceNotFound(second);
    const withOptions = q.expand.some((e) => e.nav === 'OptionSet' || e.nav === 'GlobalOptionSet');
    for (const e of q.expand) if (e.nav !== 'OptionSet' && e.nav !== 'GlobalOptionSet') throw propertyNotFound(e.nav, 'AttributeMetadata');
    if (attrMatch[1] === undefined) {
      if (req.method === 'POST' && third === undefined) return this.createAttribute(t);
      if (req.method !== 'GET') throw new DataverseError(405, ErrorCode.QueryError, `The HTTP method '${req.method}' is not allowed for Attributes.`);
      access.requireNamed('prvReadAttribute', ATTRIBUTE_ENTITY);
      let attrs = t.attributes;
      if (third !== undefined) {
        attrs = attrs.filter((a) => {
          const r = castMatches(third, a);
          if (r === undefined) throw resourceNotFound(third);
          return r;
        });
      }
      const value = filterAll(
        attrs.map((a) => this.attributeJson(t, a, withOptions)),
        q.filter,
      ).map((a) => project(a, q.select, 'Microsoft.Dynamics.CRM.AttributeMetadata', withOptions ? OPTION_SET_NAVS : []));
      return { status: 200, body: { '@odata.context': `${ctx}('${t.logicalName}')/Attributes${third ? `/${third}` : ''}${q.select ? `(${q.select.join(',')})` : ''}`, value } };
    }
    const a = this.findAttribute(t, attrMatch[1]);
    if (req.method === 'DELETE' && third === undefined) return this.deleteAttribute(t, a);
    if (req.method !== 'GET') throw new DataverseError(405, ErrorCode.QueryError, `The HTTP method '${req.method}' is not allowed for Attributes.`);
    if (fourth !== undefined) throw resourceNotFound(fourth);
    access.requireNamed('prvReadAttribute', ATTRIBUTE_ENTITY);
    if (third !== undefined && castMatches(third, a) !== true) {
      throw queryError(`The attribute '${a.logicalName}' is a ${attributeOdataType(a)}, not a ${third.replace(/^Microsoft\.Dynamics\.CRM\./, '')}.`);
    }
    const obj = project(this.attributeJson(t, a, withOptions), q.select, 'Microsoft.Dynamics.CRM.AttributeMetadata', withOptions ? OPTION_SET_NAVS : []);
    return { status: 200, body: { '@odata.context': `${ctx}('${t.logicalName}')/Attributes${third ? `/${third}` : ''}/$entity`, ...obj } };
  }

  // ---- writes ------------------------------------------------------------------------------------

  /** `POST /EntityDefinitions` with a primary name StringAttributeMetadata → 204 (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-update-entity-definitions-using-web-api). */
  private createTable(): ApiResponse {
    const { access, core, req } = this.scope;
    access.requireNamed('prvCreateEntity', METADATA_ENTITY);
    const body = asObject(req.body, 'EntityDefinitions');
    const schemaName = requireSchemaName(body.SchemaName, 'entity');
    const logicalName = schemaName.toLowerCase();
    if (this.model.table(logicalName)) throw invalidArgument(`An entity with the specified name already exists: '${logicalName}'. Specify a unique name.`);
    const displayName = labelText(body.DisplayName);
    const displayCollectionName = labelText(body.DisplayCollectionName);
    if (!displayName) throw invalidArgument(`The DisplayName of entity '${schemaName}' is required.`);
    if (!displayCollectionName) throw invalidArgument(`The DisplayCollectionName of entity '${schemaName}' is required.`);
    const ownership = (body.OwnershipType ?? 'UserOwned') as OwnershipType;
    if (ownership !== 'UserOwned' && ownership !== 'OrganizationOwned') throw invalidArgument(`OwnershipType '${String(body.OwnershipType)}' is not supported. Use UserOwned or OrganizationOwned.`);
    if (body.IsActivity === true) throw invalidArgument('Creating activity tables is not supported by the local emulator.');
    const attributes = Array.isArray(body.Attributes) ? (body.Attributes as unknown[]) : [];
    const primaries = attributes.filter((x) => typeof x === 'object' && x !== null && (x as Json).IsPrimaryName === true);
    if (primaries.length !== 1 || attributes.length !== 1) {
      throw invalidArgument('The Attributes of a new entity must contain exactly one StringAttributeMetadata with IsPrimaryName set to true (add other columns afterwards).');
    }
    const primary = asObject(primaries[0], 'EntityDefinitions');
    const primarySpec = columnFromMetadata(primary, logicalName);
    if (primarySpec.type !== 'String') throw invalidArgument('The primary name attribute must be a StringAttributeMetadata.');
    const entitySetName = typeof body.EntitySetName === 'string' && body.EntitySetName ? body.EntitySetName : pluralize(logicalName);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(entitySetName)) throw invalidArgument(`Invalid EntitySetName '${entitySetName}'.`);
    if (this.model.tableBySet(entitySetName)) throw invalidArgument(`The entity set name '${entitySetName}' is already in use.`);
    const otc = Math.max(10000, ...this.model.allTables().filter((t) => t.objectTypeCode >= 10000).map((t) => t.objectTypeCode)) + 1;
    const table = defineTable(
      {
        logicalName,
        schemaName,
        entitySetName,
        collectionSchemaName: `${schemaName}s`,
        displayName,
        displayCollectionName,
        description: labelText(body.Description),
        objectTypeCode: otc,
        privilegeName: schemaName,
        primaryNameAttribute: primarySpec.logicalName,
        ownership,
        isCustom: true,
        hasNotes: body.HasNotes === true,
        hasActivities: body.HasActivities === true,
        ...ACTIVE_INACTIVE,
      },
      [{ ...primarySpec, isCustom: true }],
    );
    const pk = table.attributes.find((a) => a.isPrimaryId);
    if (pk) pk.isCustom = true;
    core.store.transaction(() => {
      this.model.addTable(table);
      if (table.hasNotes) this.model.linkNotes(table.logicalName);
      core.store.createTable(table);
      core.saveCustomTable(table);
      // Custom tables support the bulk messages (bulk-operations, Availability with standard tables).
      registerBulkMessages(core.store, this.model, table);
    });
    return { status: 204, headers: { 'OData-EntityId': `${req.baseUrl}EntityDefinitions(${table.metadataId})` } };
  }

  private deleteTable(t: TableDef): ApiResponse {
    const { access, core } = this.scope;
    access.requireNamed('prvDeleteEntity', METADATA_ENTITY);
    if (!core.isUnmanagedCustomTable(t.logicalName)) {
      throw invalidArgument(`The entity '${t.logicalName}' cannot be deleted: only unmanaged custom entities can be deleted.`);
    }
    core.store.transaction(() => {
      // Notes on the table's rows would otherwise point at nothing.
      if (t.hasNotes) core.store.run(`DELETE FROM annotation WHERE objecttypecode = ?`, [t.logicalName]);
      core.store.dropTable(t);
      core.forgetCustomTable(t.logicalName);
      unregisterBulkMessages(core.store, t.logicalName);
    });
    for (const [id, entry] of core.store.names) if (entry.table === t.logicalName) core.store.deleteName(id);
    this.model.removeTable(t.logicalName);
    return { status: 204 };
  }

  /** `POST /EntityDefinitions(LogicalName='x')/Attributes` (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-update-column-definitions-using-web-api). */
  private createAttribute(t: TableDef): ApiResponse {
    const { access, core, req } = this.scope;
    access.requireNamed('prvCreateAttribute', ATTRIBUTE_ENTITY);
    if (t.readOnly) throw invalidArgument(`Columns cannot be added to '${t.logicalName}'.`);
    const spec = columnFromMetadata(asObject(req.body, 'Attributes'), t.logicalName);
    if (this.model.attribute(t.logicalName, spec.logicalName)) throw invalidArgument(`An attribute with the specified name '${spec.logicalName}' already exists on entity '${t.logicalName}'.`);
    if (spec.isPrimaryName) throw invalidArgument('An entity can have only one primary name attribute.');
    const attr = toAttributeDef(t.logicalName, { ...spec, isCustom: true });
    core.store.transaction(() => {
      core.store.addColumn(t, attr);
      this.model.addAttribute(t.logicalName, attr);
      core.saveCustomAttribute(t.logicalName, attr);
    });
    return { status: 204, headers: { 'OData-EntityId': `${req.baseUrl}EntityDefinitions(${t.metadataId})/Attributes(${attr.metadataId})` } };
  }

  private deleteAttribute(t: TableDef, a: AttributeDef): ApiResponse {
    const { access, core } = this.scope;
    access.requireNamed('prvDeleteAttribute', ATTRIBUTE_ENTITY);
    if (!core.isUnmanagedCustomAttribute(t.logicalName, a.logicalName) || a.isPrimaryName || a.isPrimaryId) {
      throw invalidArgument(`The attribute '${a.logicalName}' cannot be deleted: only unmanaged custom attributes that are not the primary name can be deleted.`);
    }
    core.store.transaction(() => {
      core.store.dropColumn(t, a);
      core.forgetCustomAttribute(t.logicalName, a.logicalName);
    });
    this.model.removeAttribute(t.logicalName, a.logicalName);
    return { status: 204 };
  }
}

function asObject(v: unknown, set: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw payloadError(set, 'The request body must be a JSON object.');
  return v as Json;
}

function labelText(v: unknown): string {
  if (typeof v !== 'object' || v === null) return '';
  const labels = (v as Json).LocalizedLabels;
  if (!Array.isArray(labels)) return '';
  const pick = (labels.find((l) => typeof l === 'object' && l !== null && (l as Json).LanguageCode === 1033) ?? labels[0]) as Json | undefined;
  return typeof pick?.Label === 'string' ? pick.Label : '';
}

function requireSchemaName(v: unknown, kind: string): string {
  if (typeof v !== 'string' || v === '') throw invalidArgument(`The SchemaName of the ${kind} is required.`);
  if (!/^[A-Za-z][A-Za-z0-9]{1,7}_[A-Za-z][A-Za-z0-9_]*$/.test(v) || v.length > 50) {
    throw invalidArgument(`Invalid SchemaName '${v}': custom ${kind} names must start with a publisher customization prefix and an underscore (for example new_${v.replace(/^.*_/, '')}), and contain only letters, digits and underscores.`);
  }
  return v;
}

const METADATA_TYPES: Record<string, AttributeType> = {
  StringAttributeMetadata: 'String',
  MemoAttributeMetadata: 'Memo',
  IntegerAttributeMetadata: 'Integer',
  BigIntAttributeMetadata: 'BigInt',
  DecimalAttributeMetadata: 'Decimal',
  DoubleAttributeMetadata: 'Double',
  MoneyAttributeMetadata: 'Money',
  BooleanAttributeMetadata: 'Boolean',
  DateTimeAttributeMetadata: 'DateTime',
  PicklistAttributeMetadata: 'Picklist',
};

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Reads an AttributeMetadata payload into a column definition, refusing what the emulator cannot create. */
function columnFromMetadata(body: Json, table: string): ColumnSpec {
  const odataType = String(body['@odata.type'] ?? '').replace(/^#?Microsoft\.Dynamics\.CRM\./, '');
  let type = METADATA_TYPES[odataType];
  if (!type && odataType === '' && typeof body.AttributeType === 'string') type = body.AttributeType as AttributeType;
  if (odataType === 'LookupAttributeMetadata' || type === 'Lookup') {
    throw invalidArgument('Lookup columns are created through RelationshipDefinitions, which the local emulator does not support.');
  }
  if (!type || !Object.values(METADATA_TYPES).includes(type)) {
    throw invalidArgument(`The attribute type '${odataType || String(body.AttributeType)}' is not supported. Use String, Memo, Integer, BigInt, Decimal, Double, Money, Boolean, DateTime or Picklist attribute metadata.`);
  }
  const schemaName = requireSchemaName(body.SchemaName, 'attribute');
  const requiredLevel = ((body.RequiredLevel as Json | undefined)?.Value ?? 'None') as RequiredLevel;
  if (!['None', 'SystemRequired', 'ApplicationRequired', 'Recommended'].includes(requiredLevel)) throw invalidArgument(`RequiredLevel '${String(requiredLevel)}' is not valid.`);
  const spec: ColumnSpec = {
    logicalName: schemaName.toLowerCase(),
    schemaName,
    type,
    displayName: labelText(body.DisplayName) || schemaName,
    description: labelText(body.Description),
    requiredLevel,
    isPrimaryName: body.IsPrimaryName === true,
  };
  switch (type) {
    case 'String': {
      const format = String((body.FormatName as Json | undefined)?.Value ?? body.Format ?? 'Text');
      spec.maxLength = num(body.MaxLength) ?? 100;
      spec.format = ['Text', 'Email', 'Url', 'Phone', 'TextArea'].includes(format) ? format : 'Text';
      if (spec.maxLength < 1 || spec.maxLength > 4000) throw invalidArgument('MaxLength of a string attribute must be between 1 and 4000.');
      break;
    }
    case 'Memo':
      spec.maxLength = num(body.MaxLength) ?? 2000;
      if (spec.maxLength < 1 || spec.maxLength > 1048576) throw invalidArgument('MaxLength of a memo attribute must be between 1 and 1048576.');
      spec.format = 'TextArea';
      break;
    case 'Integer':
      spec.minValue = num(body.MinValue) ?? -2147483648;
      spec.maxValue = num(body.MaxValue) ?? 2147483647;
      break;
    case 'Decimal':
    case 'Double':
      spec.precision = num(body.Precision) ?? 2;
      spec.minValue = num(body.MinValue) ?? -100000000000;
      spec.maxValue = num(body.MaxValue) ?? 100000000000;
      break;
    case 'Money':
      spec.precision = num(body.Precision) ?? 2;
      spec.minValue = num(body.MinValue) ?? -922337203685477;
      spec.maxValue = num(body.MaxValue) ?? 922337203685477;
      break;
    case 'DateTime': {
      const format = String(body.Format ?? (body.DateTimeBehavior as Json | undefined)?.Value ?? 'DateAndTime');
      spec.format = format === 'DateOnly' ? 'DateOnly' : 'DateAndTime';
      break;
    }
    case 'Boolean': {
      const os = (body.OptionSet ?? {}) as Json;
      spec.booleanLabels = { trueLabel: labelText((os.TrueOption as Json | undefined)?.Label) || 'Yes', falseLabel: labelText((os.FalseOption as Json | undefined)?.Label) || 'No' };
      break;
    }
    case 'Picklist': {
      const os = (body.OptionSet ?? {}) as Json;
      const options = Array.isArray(os.Options) ? (os.Options as Json[]) : [];
      if (options.length === 0) throw invalidArgument('A picklist attribute needs OptionSet.Options (global option sets are not supported by the local emulator).');
      const seen = new Set<number>();
      spec.options = options.map((o, i) => {
        const value = num(o.Value) ?? 100000000 + i;
        if (!Number.isInteger(value) || seen.has(value)) throw invalidArgument(`Option value ${value} is duplicated or not an integer.`);
        seen.add(value);
        const text = labelText(o.Label);
        if (!text) throw invalidArgument(`Option ${value} needs a Label.`);
        return { value, label: text };
      });
      spec.optionSetName = `${table}_${spec.logicalName}`;
      break;
    }
    default:
      break;
  }
  return spec;
}
