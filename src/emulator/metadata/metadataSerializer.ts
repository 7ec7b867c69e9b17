import { stableGuid } from '../ids.js';
import type { MetadataModel } from './metadataModel.js';
import { BASE_LANGUAGE } from './localizedLabels.js';
import type { AttributeDef, AttributeType, LocalizedLabels, TableDef } from './types.js';

/** EntityMetadata / AttributeMetadata JSON shaped as the Dataverse Web API returns them. */

type Json = Record<string, unknown>;

/**
 * A Label: every provisioned language in `LocalizedLabels`, and in `UserLocalizedLabel` the caller's
 * language, or the base language where there is no translation ("UserLocalizedLabel: Gets or sets
 * the label for the language of the current user",
 * https://learn.microsoft.com/dotnet/api/microsoft.xrm.sdk.label.userlocalizedlabel).
 */
export function label(text: string, owner: string, managed: boolean, localized?: LocalizedLabels, language: number = BASE_LANGUAGE): Json {
  if (!text) return { LocalizedLabels: [], UserLocalizedLabel: null };
  const entry = (lcid: number, t: string): Json => ({
    Label: t,
    LanguageCode: lcid,
    IsManaged: managed,
    MetadataId: stableGuid(lcid === BASE_LANGUAGE ? `label:${owner}:${t}` : `label:${owner}:${lcid}:${t}`),
    HasChanged: null,
  });
  const all = [entry(BASE_LANGUAGE, text), ...Object.entries(localized ?? {}).map(([lcid, t]) => entry(Number(lcid), t))];
  return { LocalizedLabels: all, UserLocalizedLabel: all.find((e) => e.LanguageCode === language) ?? all[0] };
}

function managedProperty(value: boolean, name: string, canBeChanged = true): Json {
  return { Value: value, CanBeChanged: canBeChanged, ManagedPropertyLogicalName: name };
}

const TYPE_NAMES: Record<AttributeType, { odataType: string; typeName: string }> = {
  Uniqueidentifier: { odataType: 'UniqueIdentifierAttributeMetadata', typeName: 'UniqueidentifierType' },
  String: { odataType: 'StringAttributeMetadata', typeName: 'StringType' },
  Memo: { odataType: 'MemoAttributeMetadata', typeName: 'MemoType' },
  Integer: { odataType: 'IntegerAttributeMetadata', typeName: 'IntegerType' },
  BigInt: { odataType: 'BigIntAttributeMetadata', typeName: 'BigIntType' },
  Decimal: { odataType: 'DecimalAttributeMetadata', typeName: 'DecimalType' },
  Double: { odataType: 'DoubleAttributeMetadata', typeName: 'DoubleType' },
  Money: { odataType: 'MoneyAttributeMetadata', typeName: 'MoneyType' },
  Boolean: { odataType: 'BooleanAttributeMetadata', typeName: 'BooleanType' },
  DateTime: { odataType: 'DateTimeAttributeMetadata', typeName: 'DateTimeType' },
  Picklist: { odataType: 'PicklistAttributeMetadata', typeName: 'PicklistType' },
  State: { odataType: 'StateAttributeMetadata', typeName: 'StateType' },
  Status: { odataType: 'StatusAttributeMetadata', typeName: 'StatusType' },
  Lookup: { odataType: 'LookupAttributeMetadata', typeName: 'LookupType' },
  Customer: { odataType: 'LookupAttributeMetadata', typeName: 'CustomerType' },
  Owner: { odataType: 'LookupAttributeMetadata', typeName: 'OwnerType' },
  EntityName: { odataType: 'EntityNameAttributeMetadata', typeName: 'EntityNameType' },
  File: { odataType: 'FileAttributeMetadata', typeName: 'FileType' },
  Image: { odataType: 'ImageAttributeMetadata', typeName: 'ImageType' },
};

export function attributeOdataType(a: AttributeDef): string {
  return TYPE_NAMES[a.type].odataType;
}

/** Which attribute types a typed cast segment (…/Microsoft.Dynamics.CRM.XAttributeMetadata) selects. */
export function castMatches(cast: string, a: AttributeDef): boolean | undefined {
  const name = cast.replace(/^Microsoft\.Dynamics\.CRM\./, '');
  if (name === 'AttributeMetadata') return true;
  if (name === 'EnumAttributeMetadata') return a.type === 'Picklist' || a.type === 'State' || a.type === 'Status';
  const known = Object.values(TYPE_NAMES).some((t) => t.odataType === name);
  if (!known) return undefined;
  return TYPE_NAMES[a.type].odataType === name;
}

function optionSet(t: TableDef, a: AttributeDef, managed: boolean, language: number): Json {
  const id = stableGuid(`optionset:${t.logicalName}.${a.logicalName}`);
  if (a.type === 'Boolean') {
    const local = a.booleanLabels?.localized ?? {};
    const translations = (pick: 'trueLabel' | 'falseLabel'): LocalizedLabels => Object.fromEntries(Object.entries(local).map(([lcid, l]) => [lcid, l[pick]]));
    const opt = (value: number, text: string, localized: LocalizedLabels) => ({ Value: value, Color: null, IsManaged: managed, ExternalValue: null, ParentValues: [], MetadataId: null, HasChanged: null, Label: label(text, `${id}:${value}`, managed, localized, language), Description: label('', `${id}:${value}:d`, managed) });
    return {
      MetadataId: id,
      HasChanged: null,
      IsCustomOptionSet: a.isCustom,
      IsGlobal: false,
      IsManaged: managed,
      Name: `${t.logicalName}_${a.logicalName}`,
      OptionSetType: 'Boolean',
      DisplayName: label(a.displayName, id, managed),
      TrueOption: opt(1, a.booleanLabels?.trueLabel ?? 'Yes', translations('trueLabel')),
      FalseOption: opt(0, a.booleanLabels?.falseLabel ?? 'No', translations('falseLabel')),
    };
  }
  return {
    MetadataId: id,
    HasChanged: null,
    IsCustomOptionSet: a.isCustom,
    IsGlobal: false,
    IsManaged: managed,
    Name: a.optionSetName ?? `${t.logicalName}_${a.logicalName}`,
    OptionSetType: a.type === 'State' ? 'State' : a.type === 'Status' ? 'Status' : 'Picklist',
    DisplayName: label(a.displayName, id, managed),
    Options: (a.options ?? []).map((o) => {
      const base: Json = {
        Value: o.value,
        Color: null,
        IsManaged: managed,
        ExternalValue: '',
        ParentValues: [],
        MetadataId: null,
        HasChanged: null,
        Label: label(o.label, `${id}:${o.value}`, managed, o.localized, language),
        Description: label('', `${id}:${o.value}:d`, managed),
      };
      if (a.type === 'State') return { '@odata.type': '#Microsoft.Dynamics.CRM.StateOptionMetadata', ...base, DefaultStatus: o.defaultStatus ?? null, InvariantName: o.invariantName ?? o.label };
      if (a.type === 'Status') return { '@odata.type': '#Microsoft.Dynamics.CRM.StatusOptionMetadata', ...base, State: o.state ?? 0, TransitionData: null };
      return base;
    }),
  };
}

/** AttributeMetadata and its typed subtypes (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/attributemetadata). */
export function attributeMetadata(t: TableDef, a: AttributeDef, columnNumber: number, expandOptionSet: boolean, managed: boolean, language: number = BASE_LANGUAGE): Json {
  const names = TYPE_NAMES[a.type];
  const out: Json = {
    '@odata.type': `#Microsoft.Dynamics.CRM.${names.odataType}`,
    MetadataId: a.metadataId,
    HasChanged: null,
    AttributeOf: null,
    // File and image columns are `Virtual`; their AttributeTypeName tells them apart (file-attributes, image-attributes).
    AttributeType: a.type === 'File' || a.type === 'Image' ? 'Virtual' : a.type,
    ColumnNumber: columnNumber,
    EntityLogicalName: t.logicalName,
    IntroducedVersion: a.isCustom ? '1.0' : '5.0.0.0',
    IsCustomAttribute: a.isCustom,
    IsFilterable: true,
    IsLogical: false,
    IsManaged: managed,
    IsPrimaryId: a.isPrimaryId ?? false,
    IsPrimaryName: a.isPrimaryName ?? false,
    IsRetrievable: true,
    IsSearchable: a.type === 'String' || a.type === 'Memo',
    IsSecured: a.isSecured === true,
    IsValidForAdvancedFind: managedProperty(true, 'canmodifysearchsettings'),
    IsValidForCreate: a.validForCreate,
    IsValidForRead: true,
    IsValidForUpdate: a.validForUpdate,
    LogicalName: a.logicalName,
    SchemaName: a.schemaName,
    AttributeTypeName: { Value: names.typeName },
    Description: label(a.description, `${a.metadataId}:d`, managed),
    DisplayName: label(a.displayName, a.metadataId, managed),
    RequiredLevel: { Value: a.requiredLevel, CanBeChanged: !(a.isPrimaryId ?? false), ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings' },
  };
  switch (a.type) {
    case 'String':
      Object.assign(out, { MaxLength: a.maxLength ?? 100, DatabaseLength: (a.maxLength ?? 100) * 2, Format: a.format ?? 'Text', FormatName: { Value: a.format ?? 'Text' }, ImeMode: 'Auto', IsLocalizable: false });
      break;
    case 'Memo':
      Object.assign(out, { MaxLength: a.maxLength ?? 2000, DatabaseLength: (a.maxLength ?? 2000) * 2, Format: 'TextArea', FormatName: { Value: 'TextArea' }, ImeMode: 'Auto', IsLocalizable: false });
      break;
    case 'Integer':
      Object.assign(out, { MinValue: a.minValue ?? -2147483648, MaxValue: a.maxValue ?? 2147483647, Format: 'None' });
      break;
    case 'BigInt':
      Object.assign(out, { MinValue: -9223372036854775808, MaxValue: 9223372036854775807 });
      break;
    case 'Decimal':
    case 'Double':
      Object.assign(out, { Precision: a.precision ?? 2, MinValue: a.minValue ?? -100000000000, MaxValue: a.maxValue ?? 100000000000, ImeMode: 'Auto' });
      break;
    case 'Money':
      Object.assign(out, { Precision: a.precision ?? 2, PrecisionSource: 2, MinValue: a.minValue ?? -922337203685477, MaxValue: a.maxValue ?? 922337203685477, ImeMode: 'Auto', IsBaseCurrency: false });
      break;
    case 'DateTime':
      Object.assign(out, {
        Format: a.format ?? 'DateAndTime',
        DateTimeBehavior: { Value: a.format === 'DateOnly' ? 'DateOnly' : 'UserLocal' },
        CanChangeDateTimeBehavior: managedProperty(a.isCustom, 'canchangedatetimebehavior'),
        MinSupportedValue: '1753-01-01T00:00:00Z',
        MaxSupportedValue: '9999-12-30T23:59:59Z',
        ImeMode: 'Auto',
      });
      break;
    case 'Boolean':
      out.DefaultValue = false;
      if (expandOptionSet) out.OptionSet = optionSet(t, a, managed, language);
      break;
    case 'Picklist':
    case 'State':
    case 'Status':
      if (a.type === 'Picklist') out.DefaultFormValue = -1;
      if (expandOptionSet) {
        out.OptionSet = optionSet(t, a, managed, language);
        out.GlobalOptionSet = null;
      }
      break;
    case 'Lookup':
    case 'Customer':
    case 'Owner':
      Object.assign(out, { Targets: (a.targets ?? []).map((x) => x.table), Format: 'None' });
      break;
    case 'File':
      out.MaxSizeInKB = a.maxSizeInKB ?? 32768;
      break;
    case 'Image':
      Object.assign(out, { MaxSizeInKB: a.maxSizeInKB ?? 10240, IsPrimaryImage: a.logicalName === 'entityimage', CanStoreFullImage: true, MaxHeight: 144, MaxWidth: 144 });
      break;
    default:
      break;
  }
  return out;
}

/** EntityMetadata as `GET EntityDefinitions` returns it (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/entitymetadata). */
export function entityMetadata(t: TableDef, managed: boolean): Json {
  const ops = ['Create', 'Read', 'Write', 'Delete', 'Assign', 'Share', 'Append', 'AppendTo'];
  return {
    MetadataId: t.metadataId,
    HasChanged: null,
    ActivityTypeMask: t.isActivity ? 1 : 0,
    ChangeTrackingEnabled: false,
    CollectionSchemaName: t.collectionSchemaName,
    EntitySetName: t.entitySetName,
    HasActivities: t.hasActivities,
    HasNotes: t.hasNotes,
    IntroducedVersion: t.isCustom ? '1.0' : '5.0.0.0',
    IsActivity: t.isActivity,
    IsActivityParty: t.logicalName === 'account' || t.logicalName === 'contact' || t.logicalName === 'lead' || t.logicalName === 'systemuser',
    IsCustomEntity: t.isCustom,
    IsIntersect: t.isIntersect ?? false,
    IsManaged: managed,
    IsValidForAdvancedFind: true,
    IsCustomizable: managedProperty(true, 'iscustomizable'),
    IsAuditEnabled: managedProperty(false, 'canmodifyauditsettings'),
    CanCreateAttributes: managedProperty(!(t.readOnly ?? false), 'cancreateattributes', false),
    LogicalCollectionName: t.entitySetName,
    LogicalName: t.logicalName,
    ObjectTypeCode: t.objectTypeCode,
    OwnershipType: t.ownershipType,
    PrimaryIdAttribute: t.primaryIdAttribute,
    PrimaryNameAttribute: t.primaryNameAttribute || null,
    PrimaryImageAttribute: null,
    SchemaName: t.schemaName,
    TableType: 'Standard',
    Description: label(t.description, `${t.metadataId}:d`, managed),
    DisplayCollectionName: label(t.displayCollectionName, `${t.metadataId}:c`, managed),
    DisplayName: label(t.displayName, t.metadataId, managed),
    Privileges: ops.map((op) => {
      const name = `prv${op}${t.privilegeName}`;
      return { CanBeBasic: true, CanBeDeep: true, CanBeGlobal: true, CanBeLocal: true, CanBeEntityReference: false, CanBeParentEntityReference: false, Name: name, PrivilegeId: stableGuid(`privilege:${name}`), PrivilegeType: op };
    }),
  };
}

/** OneToMany/ManyToOne/ManyToMany RelationshipMetadata (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/onetomanyrelationshipmetadata). */
export function relationshipMetadata(model: MetadataModel, t: TableDef, direction: 'OneToMany' | 'ManyToOne' | 'ManyToMany'): Json[] {
  const out: Json[] = [];
  for (const nav of model.navsOf(t.logicalName)) {
    if (direction === 'ManyToOne' && nav.kind === 'single') {
      // One relationship per navigation property: an owner lookup (user or team) is the single
      // `owner_<set>` relationship to `owner`, whose key is `ownerid`
      // (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/owner).
      const target = model.table(nav.target);
      const toOwner = nav.referencedEntity === 'owner';
      out.push({
        MetadataId: stableGuid(`relationship:${nav.relationship}`),
        SchemaName: nav.relationship,
        RelationshipType: 'OneToManyRelationship',
        IsCustomRelationship: false,
        ReferencedEntity: nav.referencedEntity,
        ReferencedAttribute: toOwner ? 'ownerid' : (target?.primaryIdAttribute ?? `${nav.target}id`),
        ReferencingEntity: t.logicalName,
        ReferencingAttribute: nav.attribute,
        ReferencedEntityNavigationPropertyName: nav.relationship,
        ReferencingEntityNavigationPropertyName: nav.name,
      });
    } else if (direction === 'OneToMany' && nav.kind === 'collection') {
      const single = model.attribute(nav.target, nav.attribute)?.targets?.find((x) => x.relationship === nav.relationship);
      out.push({
        MetadataId: stableGuid(`relationship:${nav.relationship}`),
        SchemaName: nav.relationship,
        RelationshipType: 'OneToManyRelationship',
        IsCustomRelationship: false,
        ReferencedEntity: t.logicalName,
        ReferencedAttribute: t.primaryIdAttribute,
        ReferencingEntity: nav.target,
        ReferencingAttribute: nav.attribute,
        ReferencedEntityNavigationPropertyName: nav.name,
        ReferencingEntityNavigationPropertyName: single?.nav ?? null,
        CascadeConfiguration: { Delete: single?.cascadeDelete ? 'Cascade' : 'RemoveLink' },
      });
    } else if (direction === 'ManyToMany' && nav.kind === 'manyToMany') {
      const m = model.manyToManyDefs().find((x) => x.name === nav.name);
      out.push({
        MetadataId: stableGuid(`relationship:${nav.relationship}`),
        SchemaName: nav.relationship,
        RelationshipType: 'ManyToManyRelationship',
        IsCustomRelationship: false,
        Entity1LogicalName: m?.entity1,
        Entity2LogicalName: m?.entity2,
        IntersectEntityName: m?.intersect,
        Entity1IntersectAttribute: m?.entity1Column,
        Entity2IntersectAttribute: m?.entity2Column,
        Entity1NavigationPropertyName: nav.name,
        Entity2NavigationPropertyName: nav.name,
      });
    }
  }
  return out;
}
