/** The single metadata model: every table, column, choice and relationship the emulator knows. */

export type AttributeType =
  | 'Uniqueidentifier'
  | 'String'
  | 'Memo'
  | 'Integer'
  | 'BigInt'
  | 'Decimal'
  | 'Double'
  | 'Money'
  | 'Boolean'
  | 'DateTime'
  | 'Picklist'
  | 'State'
  | 'Status'
  | 'Lookup'
  | 'Customer'
  | 'Owner'
  | 'EntityName'
  /** File and image columns: AttributeType `Virtual`, AttributeTypeName FileType / ImageType (files-images-overview). */
  | 'File'
  | 'Image';

export type RequiredLevel = 'None' | 'SystemRequired' | 'ApplicationRequired' | 'Recommended';

/** Labels in other languages than the base one (1033), keyed by LCID, e.g. `{ 1031: 'Aktiv' }`. */
export type LocalizedLabels = Readonly<Record<number, string>>;

export interface OptionDef {
  value: number;
  label: string;
  /** The label in other installed languages (a missing language falls back to `label`). */
  localized?: LocalizedLabels;
  /** Status options: the state they belong to. */
  state?: number;
  /** State options: the status a record gets when only the state is set. */
  defaultStatus?: number;
  /** State options: the invariant (English) name, e.g. 'Active'. */
  invariantName?: string;
}

export interface LookupTarget {
  /** Target table logical name. */
  table: string;
  /** Single-valued navigation property on the referencing table (e.g. `parentcustomerid_account`). */
  nav: string;
  /** Relationship schema name; also the collection-valued navigation property on the target. */
  relationship: string;
  /** False when the target side exposes no collection-valued navigation property. */
  collection?: boolean;
  /**
   * The table the relationship metadata names when it is not `table` itself: owner lookups take a
   * user or a team under one navigation property, and their relationship references `owner`.
   */
  referencedEntity?: string;
  /** What deleting the target does to referencing rows. */
  cascadeDelete?: boolean;
}

export interface AttributeDef {
  logicalName: string;
  schemaName: string;
  type: AttributeType;
  displayName: string;
  description: string;
  requiredLevel: RequiredLevel;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  precision?: number;
  /** String: Text | Email | Url | Phone | TextArea; DateTime: DateOnly | DateAndTime; Memo: TextArea. */
  format?: string;
  options?: OptionDef[];
  booleanLabels?: { trueLabel: string; falseLabel: string; localized?: Readonly<Record<number, { trueLabel: string; falseLabel: string }>> };
  /** Name of the (global or local) option set. */
  optionSetName?: string;
  targets?: LookupTarget[];
  isPrimaryId?: boolean;
  isPrimaryName?: boolean;
  /** Column-level security: only system administrators and field security profile members read it (security/fieldSecurity.ts). */
  isSecured?: boolean;
  isCustom: boolean;
  /** File and image columns: the largest file the column stores (MaxSizeInKB). */
  maxSizeInKB?: number;
  validForCreate: boolean;
  validForUpdate: boolean;
  metadataId: string;
}

export type OwnershipType = 'UserOwned' | 'OrganizationOwned' | 'BusinessOwned' | 'None';

export interface ManyToManyDef {
  /** Relationship schema name = navigation property name on both sides. */
  name: string;
  entity1: string;
  entity2: string;
  /** Intersect SQL table and its two columns (entity1's id, entity2's id). */
  intersect: string;
  entity1Column: string;
  entity2Column: string;
}

export interface TableDef {
  logicalName: string;
  schemaName: string;
  entitySetName: string;
  collectionSchemaName: string;
  primaryIdAttribute: string;
  primaryNameAttribute: string;
  displayName: string;
  displayCollectionName: string;
  description: string;
  objectTypeCode: number;
  isCustom: boolean;
  isActivity: boolean;
  isIntersect?: boolean;
  hasNotes: boolean;
  hasActivities: boolean;
  ownershipType: OwnershipType;
  /** The name in privilege names: prvRead<privilegeName> (Lead, Activity, Note, new_Project…). */
  privilegeName: string;
  /** Backed by a SQL view: read-only. */
  readOnly?: boolean;
  /** Its key is a row of that table (usersettings ↔ systemuser): its rows stay out of the record-name index. */
  sharesKeyOf?: string;
  attributes: AttributeDef[];
  metadataId: string;
}

/** A navigation property, resolved from lookups and many-to-many relationships. */
export type NavProperty =
  | {
      kind: 'single';
      name: string;
      /** Lookup attribute on the owning table. */
      attribute: string;
      /** The first (or only) table the property points at: $select and $filter paths resolve against it. */
      target: string;
      /** Every table a bind may point at (owner lookups: systemuser and team under one name). */
      targets: string[];
      relationship: string;
      /** The `ReferencedEntity` of the relationship (`owner` for owner lookups; else `target`). */
      referencedEntity: string;
    }
  | {
      kind: 'collection';
      name: string;
      /** The child table and its lookup attribute pointing back at the owning table. */
      target: string;
      attribute: string;
      relationship: string;
    }
  | {
      kind: 'manyToMany';
      name: string;
      target: string;
      intersect: string;
      selfColumn: string;
      targetColumn: string;
      relationship: string;
    };

export function isLookupType(type: AttributeType): boolean {
  return type === 'Lookup' || type === 'Customer' || type === 'Owner';
}

export function isChoiceType(type: AttributeType): boolean {
  return type === 'Picklist' || type === 'State' || type === 'Status';
}
