import { DataverseError, ErrorCode } from '../dataverseError.js';
import { stableGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { TableDef } from '../metadata/types.js';

export type PrivilegeOp = 'Create' | 'Read' | 'Write' | 'Delete' | 'Append' | 'AppendTo' | 'Assign';
const ALL_OPS: readonly PrivilegeOp[] = ['Create', 'Read', 'Write', 'Delete', 'Append', 'AppendTo'];
/**
 * Changing a record's owner is the Assign message ("Assign: PATCH /<set>(<id>), update the ownerid
 * property" in each table reference's Messages table), guarded by its own privilege, prvAssign<Table>
 * (security concepts, https://learn.microsoft.com/power-platform/admin/security-roles-privileges).
 * Sellers assign their sales records and activities; service representatives their cases and activities.
 */
const ASSIGN: readonly PrivilegeOp[] = ['Assign'];

export const ROLE_NAMES = ['System Administrator', 'Sales Manager', 'Salesperson', 'Customer Service Representative', 'Read Only'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** The signed-in caller, resolved from the token's object id. */
export interface Principal {
  systemUserId: string;
  objectId: string;
  fullName: string;
  businessUnitId: string;
  roles: readonly string[];
  /** `usersettings.uilanguageid`: the language of formatted values and user-localized labels. */
  uiLanguageId: number;
}

function grants(entities: readonly string[], ops: readonly PrivilegeOp[]): string[] {
  return entities.flatMap((e) => ops.map((op) => `prv${op}${e}`));
}

// Custom API definitions and the message filters are readable by every role, as metadata is.
const READ_REFERENCE = grants(['User', 'Team', 'UserSettings', 'BusinessUnit', 'Role', 'Entity', 'Attribute', 'Relationship', 'OptionSet', 'CustomAPI', 'CustomAPIRequestParameter', 'CustomAPIResponseProperty', 'SdkMessage', 'SdkMessageFilter', 'Organization', 'TransactionCurrency'], ['Read']);

const SALES_TABLES = ['Lead', 'Opportunity', 'Account', 'Contact', 'Activity', 'Note'];
const SALES_MANAGER = new Set<string>([
  ...grants(SALES_TABLES, ALL_OPS),
  ...grants(SALES_TABLES, ASSIGN),
  // Stakeholders and the sales process: connections between records, the roles they name, and the
  // Lead to Opportunity and Opportunity Sales Process flows the seller moves through their stages.
  ...grants(['Connection'], [...ALL_OPS, ...ASSIGN]),
  ...grants(['ConnectionRole', 'ProcessStage', 'Workflow'], ['Read', 'AppendTo']),
  ...grants(['leadtoopportunitysalesprocess', 'opportunitysalesprocess'], ['Create', 'Read', 'Write', 'Append', 'AppendTo']),
  ...grants(['KnowledgeArticle', 'Template'], ['Read']),
  ...grants(['msdyn_predictivescore'], ['Read', 'AppendTo']),
  ...grants(['User'], ['AppendTo']),
  ...READ_REFERENCE,
  // The pipeline: sellers quote and order from the catalogue, which only administrators maintain
  // (opportunity lines are secured as their opportunity, quote and order lines as their quote and order).
  ...grants(['Quote', 'SalesOrder', 'Competitor'], ALL_OPS),
  ...grants(['Product', 'PriceLevel', 'UoM', 'UoMSchedule'], ['Read', 'AppendTo']),
]);
const SALESPERSON = new Set<string>([...SALES_MANAGER].filter((p) => !p.startsWith('prvDelete')));
const SERVICE_REP = new Set<string>([
  ...grants(['Incident'], ['Create', 'Read', 'Write', 'Append', 'AppendTo']),
  ...grants(['Account', 'Contact'], ['Create', 'Read', 'Write', 'Append', 'AppendTo']),
  ...grants(['Activity', 'Note'], ALL_OPS),
  ...grants(['Incident', 'Activity', 'Note'], ASSIGN),
  ...grants(['KnowledgeArticle'], ['Read', 'AppendTo']),
  // The service desk keeps the knowledge base's QnA pairs (new_qna); sellers have no access to them.
  ...grants(['new_qna'], ['Create', 'Read', 'Write', 'Append', 'AppendTo']),
  // The service desk: agents work queue items (pick, release, route), read the queues, the SLA
  // KPIs of their cases and the email templates, and keep personal templates of their own.
  ...grants(['QueueItem'], ALL_OPS),
  ...grants(['Queue'], ['Read', 'Append', 'AppendTo']),
  ...grants(['SLAKPIInstance'], ['Read']),
  ...grants(['Template'], ['Create', 'Read', 'Write', 'Append']),
  ...grants(['User'], ['AppendTo']),
  ...READ_REFERENCE,
]);

/** Whether a role grants a privilege. Read Only and System Administrator also cover tables created later. */
export function roleGrants(role: string, privilege: string): boolean {
  switch (role) {
    case 'System Administrator':
      return true;
    case 'Read Only':
      return privilege.startsWith('prvRead');
    case 'Sales Manager':
      return SALES_MANAGER.has(privilege);
    case 'Salesperson':
      return SALESPERSON.has(privilege);
    case 'Customer Service Representative':
      return SERVICE_REP.has(privilege);
    default:
      return false;
  }
}

export function hasPrivilege(p: Principal, privilege: string): boolean {
  return p.roles.some((r) => roleGrants(r, privilege));
}

export function privilegeName(op: PrivilegeOp, table: TableDef): string {
  return `prv${op}${table.privilegeName}`;
}

function allPrivilegeNames(model: MetadataModel): string[] {
  const names = new Set<string>();
  for (const t of model.allTables()) for (const op of [...ALL_OPS, ...(t.ownershipType === 'UserOwned' ? ASSIGN : [])]) names.add(privilegeName(op, t));
  for (const e of ['Entity', 'Attribute', 'Relationship', 'OptionSet']) for (const op of ALL_OPS) names.add(`prv${op}${e}`);
  return [...names];
}

/** Every privilege the given roles grant, by name (for RetrieveUserPrivileges). */
export function grantedPrivileges(roles: readonly string[], model: MetadataModel): string[] {
  return allPrivilegeNames(model).filter((n) => roles.some((r) => roleGrants(r, n)));
}

/** 403 0x80040220 "Principal user (Id=…) is missing prvReadX privilege …" (https://learn.microsoft.com/troubleshoot/power-platform/dataverse/user-permissions/client-errors). */
export function privilegeDenied(p: Principal, privilege: string, entity: { logicalName: string; objectTypeCode: number }, model: MetadataModel): DataverseError {
  const count = allPrivilegeNames(model).filter((n) => hasPrivilege(p, n)).length;
  return new DataverseError(
    403,
    ErrorCode.PrivilegeDenied,
    `Principal user (Id=${p.systemUserId}, type=8, roleCount=${p.roles.length}, privilegeCount=${count}, accessMode=0), is missing ${privilege} privilege (Id=${stableGuid(`privilege:${privilege}`)}) on OTC=${entity.objectTypeCode} for entity '${entity.logicalName}'. context.Caller=${p.systemUserId}`,
  );
}

/** Access checks for one request. */
export class AccessChecker {
  constructor(
    readonly principal: Principal,
    private readonly model: MetadataModel,
  ) {}

  require(op: PrivilegeOp, table: TableDef): void {
    const name = privilegeName(op, table);
    if (!hasPrivilege(this.principal, name)) throw privilegeDenied(this.principal, name, table, this.model);
  }

  /** Metadata and miscellaneous privileges (prvCreateEntity, prvReadEntity…). */
  requireNamed(privilege: string, entity: { logicalName: string; objectTypeCode: number }): void {
    if (!hasPrivilege(this.principal, privilege)) throw privilegeDenied(this.principal, privilege, entity, this.model);
  }

  can(op: PrivilegeOp, table: TableDef): boolean {
    return hasPrivilege(this.principal, privilegeName(op, table));
  }
}

/** Pseudo-entities the metadata privileges are reported against. */
export const METADATA_ENTITY = { logicalName: 'entity', objectTypeCode: 9800 };
export const ATTRIBUTE_ENTITY = { logicalName: 'attribute', objectTypeCode: 9808 };
