import { stableGuid } from '../ids.js';
import type { AttributeDef, AttributeType, LookupTarget, OwnershipType, RequiredLevel, TableDef } from './types.js';

/** A column before the table fills in ids and defaults: the definition's own fields, mostly optional. */
export type ColumnSpec = Pick<AttributeDef, 'logicalName' | 'type' | 'displayName'> &
  Partial<
    Pick<
      AttributeDef,
      | 'schemaName'
      | 'description'
      | 'requiredLevel'
      | 'maxLength'
      | 'minValue'
      | 'maxValue'
      | 'precision'
      | 'format'
      | 'options'
      | 'optionSetName'
      | 'booleanLabels'
      | 'targets'
      | 'isPrimaryName'
      | 'isPrimaryId'
      | 'isCustom'
      | 'isSecured'
      | 'maxSizeInKB'
    >
  > & { readOnly?: boolean; createOnly?: boolean };

interface ColumnOptions {
  required?: RequiredLevel;
  /** A secured column (column-level security). */
  secured?: boolean;
  readOnly?: boolean;
  createOnly?: boolean;
  description?: string;
  schemaName?: string;
}

function base(logicalName: string, type: AttributeType, displayName: string, o: ColumnOptions = {}): ColumnSpec {
  return {
    logicalName,
    type,
    displayName,
    requiredLevel: o.required ?? 'None',
    readOnly: o.readOnly ?? false,
    createOnly: o.createOnly ?? false,
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(o.schemaName !== undefined ? { schemaName: o.schemaName } : {}),
    ...(o.secured ? { isSecured: true } : {}),
  };
}

export const col = {
  text(name: string, display: string, maxLength: number, o?: ColumnOptions & { format?: string }): ColumnSpec {
    return { ...base(name, 'String', display, o), maxLength, format: o?.format ?? 'Text' };
  },
  email(name: string, display: string, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'String', display, o), maxLength: 100, format: 'Email' };
  },
  phone(name: string, display: string, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'String', display, o), maxLength: 50, format: 'Phone' };
  },
  url(name: string, display: string, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'String', display, o), maxLength: 200, format: 'Url' };
  },
  memo(name: string, display: string, maxLength: number, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'Memo', display, o), maxLength, format: 'TextArea' };
  },
  int(name: string, display: string, min = -2147483648, max = 2147483647, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'Integer', display, o), minValue: min, maxValue: max };
  },
  bigint(name: string, display: string, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'BigInt', display, o) };
  },
  decimal(name: string, display: string, precision = 2, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'Decimal', display, o), precision, minValue: -100000000000, maxValue: 100000000000 };
  },
  money(name: string, display: string, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'Money', display, o), precision: 2, minValue: -922337203685477, maxValue: 922337203685477 };
  },
  bool(name: string, display: string, trueLabel = 'Yes', falseLabel = 'No', o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'Boolean', display, o), booleanLabels: { trueLabel, falseLabel } };
  },
  dateTime(name: string, display: string, format: 'DateAndTime' | 'DateOnly' = 'DateAndTime', o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'DateTime', display, o), format };
  },
  choice(name: string, display: string, options: ReadonlyArray<readonly [number, string]>, o?: ColumnOptions & { optionSet?: string }): ColumnSpec {
    return {
      ...base(name, 'Picklist', display, o),
      options: options.map(([value, label]) => ({ value, label })),
      ...(o?.optionSet !== undefined ? { optionSetName: o.optionSet } : {}),
    };
  },
  lookup(name: string, display: string, targets: LookupTarget[], o?: ColumnOptions & { type?: 'Lookup' | 'Customer' | 'Owner' }): ColumnSpec {
    return { ...base(name, o?.type ?? 'Lookup', display, o), targets };
  },
  guid(name: string, display: string, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'Uniqueidentifier', display, o) };
  },
  entityName(name: string, display: string, o?: ColumnOptions): ColumnSpec {
    return { ...base(name, 'EntityName', display, o) };
  },
};

/** The state/status pair of most tables (custom tables get it too). */
export const ACTIVE_INACTIVE = {
  states: [
    { value: 0, label: 'Active', defaultStatus: 1 },
    { value: 1, label: 'Inactive', defaultStatus: 2 },
  ],
  statuses: [
    { value: 1, label: 'Active', state: 0 },
    { value: 2, label: 'Inactive', state: 1 },
  ],
};

export interface StateSpec {
  value: number;
  label: string;
  defaultStatus: number;
}
export interface StatusSpec {
  value: number;
  label: string;
  state: number;
}

export interface TableSpec {
  logicalName: string;
  schemaName: string;
  entitySetName: string;
  collectionSchemaName?: string;
  displayName: string;
  displayCollectionName: string;
  description: string;
  objectTypeCode: number;
  privilegeName: string;
  primaryNameAttribute: string;
  primaryIdAttribute?: string;
  ownership?: OwnershipType;
  isActivity?: boolean;
  isCustom?: boolean;
  hasNotes?: boolean;
  hasActivities?: boolean;
  readOnly?: boolean;
  states?: StateSpec[];
  statuses?: StatusSpec[];
  /** Adds createdon/modifiedon/createdby/modifiedby (default true). */
  audit?: boolean;
  /** Schema name of the owner relationship when it is not `owner_<entity set>` (`owner_opportunitys`). */
  ownerRelationship?: string;
  /** The primary key is another table's key (usersettings.systemuserid is the user's id). */
  sharesKeyOf?: string;
}

function schemaFromLogical(name: string): string {
  return name
    .split('_')
    .map((p, i) => (i === 0 && name.includes('_') ? p : p.charAt(0).toUpperCase() + p.slice(1)))
    .join('_');
}

export function toAttributeDef(table: string, spec: ColumnSpec): AttributeDef {
  const readOnly = spec.readOnly ?? false;
  const def: AttributeDef = {
    logicalName: spec.logicalName,
    schemaName: spec.schemaName ?? schemaFromLogical(spec.logicalName),
    type: spec.type,
    displayName: spec.displayName,
    description: spec.description ?? '',
    requiredLevel: spec.requiredLevel ?? 'None',
    isCustom: spec.isCustom ?? false,
    validForCreate: !readOnly,
    validForUpdate: !readOnly && !(spec.createOnly ?? false),
    metadataId: stableGuid(`attribute:${table}.${spec.logicalName}`),
  };
  if (spec.maxLength !== undefined) def.maxLength = spec.maxLength;
  if (spec.minValue !== undefined) def.minValue = spec.minValue;
  if (spec.maxValue !== undefined) def.maxValue = spec.maxValue;
  if (spec.precision !== undefined) def.precision = spec.precision;
  if (spec.format !== undefined) def.format = spec.format;
  if (spec.options !== undefined) def.options = spec.options;
  if (spec.booleanLabels !== undefined) def.booleanLabels = spec.booleanLabels;
  if (spec.targets !== undefined) def.targets = spec.targets;
  if (spec.isPrimaryId) def.isPrimaryId = true;
  if (spec.isPrimaryName) def.isPrimaryName = true;
  if (spec.isSecured) def.isSecured = true;
  if (spec.maxSizeInKB !== undefined) def.maxSizeInKB = spec.maxSizeInKB;
  if (def.options) def.optionSetName = spec.optionSetName ?? `${table}_${spec.logicalName}`;
  return def;
}

const USER = (nav: string, rel: string): LookupTarget[] => [{ table: 'systemuser', nav, relationship: rel, collection: false }];

/**
 * `ownerid` takes a user or a team under the one navigation property `ownerid` ("ownerid: Unique
 * identifier for the Owner: systemuserid or teamid", principal EntityType,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/principal); its
 * relationship (`owner_leads`, …) references the `owner` table
 * (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/owner).
 */
const OWNER = (rel: string): LookupTarget[] => [
  { table: 'systemuser', nav: 'ownerid', relationship: rel, collection: false, referencedEntity: 'owner' },
  { table: 'team', nav: 'ownerid', relationship: rel, collection: false, referencedEntity: 'owner' },
];

/** Builds a table with its primary key, audit columns, owner and state/status pairs filled in. */
export function defineTable(spec: TableSpec, columns: ColumnSpec[]): TableDef {
  const t = spec.logicalName;
  const primaryId = spec.primaryIdAttribute ?? `${t}id`;
  const ownership = spec.ownership ?? 'UserOwned';
  const all: ColumnSpec[] = [
    { ...col.guid(primaryId, spec.displayName, { createOnly: true }), isPrimaryId: true },
    ...columns.map((c) => (c.logicalName === spec.primaryNameAttribute ? { ...c, isPrimaryName: true } : c)),
  ];
  if (spec.states && spec.statuses) {
    all.push({
      ...base('statecode', 'State', 'Status', { required: 'SystemRequired' }),
      options: spec.states.map((s) => ({ value: s.value, label: s.label, defaultStatus: s.defaultStatus, invariantName: s.label })),
    });
    all.push({
      ...base('statuscode', 'Status', 'Status Reason'),
      options: spec.statuses.map((s) => ({ value: s.value, label: s.label, state: s.state })),
    });
  }
  if (ownership === 'UserOwned') {
    all.push(col.lookup('ownerid', 'Owner', OWNER(spec.ownerRelationship ?? `owner_${spec.entitySetName}`), { type: 'Owner', required: 'SystemRequired' }));
  }
  if (spec.audit ?? true) {
    all.push(
      col.dateTime('createdon', 'Created On', 'DateAndTime', { readOnly: true }),
      col.dateTime('modifiedon', 'Modified On', 'DateAndTime', { readOnly: true }),
      col.lookup('createdby', 'Created By', USER('createdby', `lk_${t}base_createdby`), { readOnly: true }),
      col.lookup('modifiedby', 'Modified By', USER('modifiedby', `lk_${t}base_modifiedby`), { readOnly: true }),
    );
  }
  // Every row carries a version: it is the @odata.etag.
  all.push(col.bigint('versionnumber', 'Version Number', { readOnly: true }));
  return {
    logicalName: t,
    schemaName: spec.schemaName,
    entitySetName: spec.entitySetName,
    collectionSchemaName: spec.collectionSchemaName ?? `${spec.schemaName}s`,
    primaryIdAttribute: primaryId,
    primaryNameAttribute: spec.primaryNameAttribute,
    displayName: spec.displayName,
    displayCollectionName: spec.displayCollectionName,
    description: spec.description,
    objectTypeCode: spec.objectTypeCode,
    isCustom: spec.isCustom ?? false,
    isActivity: spec.isActivity ?? false,
    hasNotes: spec.hasNotes ?? false,
    hasActivities: spec.hasActivities ?? false,
    ownershipType: ownership,
    privilegeName: spec.privilegeName,
    ...(spec.readOnly ? { readOnly: true } : {}),
    ...(spec.sharesKeyOf ? { sharesKeyOf: spec.sharesKeyOf } : {}),
    attributes: all.map((c) => toAttributeDef(t, c)),
    metadataId: stableGuid(`entity:${t}`),
  };
}

/** Dataverse-like plural for generated entity set names. */
export function pluralize(name: string): string {
  if (/(s|x|z|ch|sh)$/.test(name)) return `${name}es`;
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  return `${name}s`;
}
