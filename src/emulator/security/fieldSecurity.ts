import { stableGuid } from '../ids.js';
import type { AttributeDef } from '../metadata/types.js';
import type { SqlValue } from '../store/store.js';
import { findLocalUser } from '../users.js';
import type { Principal } from './roles.js';

/**
 * Column-level security (https://learn.microsoft.com/power-apps/developer/data-platform/column-level-security):
 * "When a column is secured, only people who have the system administrator security role can read or
 * set the value", unless a field security profile they belong to allows it; and "the default API
 * behavior when returning a value for a secured column is to return no data. The calling application
 * can't distinguish between a value that is secured and a value that is null."
 */
interface FieldSecurityProfile {
  name: string;
  /** `table.column` of the secured columns it may read. */
  read: readonly string[];
  /** systemuser ids of its members (systemuserprofiles_association). */
  members: readonly string[];
}

const member = (alias: string): string => findLocalUser(alias)?.systemUserId ?? '';

/** The sample org's profiles: sellers and their manager read lead budgets; analysts and service reps do not. */
const PROFILES: readonly FieldSecurityProfile[] = [{ name: 'Sales deal figures', read: ['lead.budgetamount'], members: ['alice', 'sam', 'greta'].map(member) }];

/** Column metadata ids a profile grants, as the emulator's attributes carry them. */
const READABLE = PROFILES.map((p) => ({ columns: new Set(p.read.map((c) => stableGuid(`attribute:${c}`))), members: new Set(p.members) }));

export function canReadColumn(principal: Principal, attribute: AttributeDef): boolean {
  if (!attribute.isSecured) return true;
  if (principal.roles.includes('System Administrator')) return true;
  return READABLE.some((p) => p.members.has(principal.systemUserId) && p.columns.has(attribute.metadataId));
}

/** The value the caller sees: a secured column they may not read answers as if it were empty. */
export function visibleValue(principal: Principal, attribute: AttributeDef, value: SqlValue | undefined): SqlValue | undefined {
  return canReadColumn(principal, attribute) ? value : null;
}
