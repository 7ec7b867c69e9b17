import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { type RecordRef, ToolError } from '../defineTool.js';
import { clip, label, lookup, LookupSchema, str } from '../shared.js';

/** Option values as Dataverse stores them on `incident`. */
export const PRIORITY = { high: 1, normal: 2, low: 3 } as const;
export const ORIGIN = { phone: 1, email: 2, web: 3 } as const;
export const ACTIVE_STATUS = { in_progress: 1, on_hold: 2, waiting_for_details: 3, researching: 4 } as const;
/** How previews name the values a caller chose (the org's own labels are shown for current values). */
export const PRIORITY_LABEL = { high: 'High', normal: 'Normal', low: 'Low' } as const;
export const ACTIVE_STATUS_LABEL = { in_progress: 'In Progress', on_hold: 'On Hold', waiting_for_details: 'Waiting for Details', researching: 'Researching' } as const;
export const RESOLVED_STATUS = { problem_solved: 5, information_provided: 1000 } as const;
export const CASE_STATE = { active: 0, resolved: 1, cancelled: 2 } as const;

export const CASE_COLUMNS = [
  'incidentid',
  'title',
  'ticketnumber',
  'description',
  '_customerid_value',
  '_primarycontactid_value',
  'prioritycode',
  'caseorigincode',
  'statecode',
  'statuscode',
  'createdon',
  'modifiedon',
  '_ownerid_value',
] as const;

export const CaseSchema = z.object({
  caseId: z.string(),
  ticketNumber: z.string(),
  title: z.string(),
  description: z.string().describe('Up to 1,000 characters'),
  customer: LookupSchema.optional().describe('Account or contact the case is for'),
  primaryContact: LookupSchema.optional(),
  priority: z.string(),
  origin: z.string(),
  state: z.string().describe('Active, Resolved or Cancelled'),
  statusReason: z.string(),
  createdOn: z.string(),
  modifiedOn: z.string(),
  owner: z.string(),
});
export type CaseView = z.infer<typeof CaseSchema>;

export function toCase(row: Row): CaseView {
  const customer = lookup(row, 'customerid');
  const contact = lookup(row, 'primarycontactid');
  return {
    caseId: str(row, 'incidentid') ?? '',
    ticketNumber: str(row, 'ticketnumber') ?? '',
    title: str(row, 'title') ?? '',
    description: clip(str(row, 'description'), 1000) ?? '',
    ...(customer && { customer }),
    ...(contact && { primaryContact: contact }),
    priority: label(row, 'prioritycode') ?? '',
    origin: label(row, 'caseorigincode') ?? '',
    state: label(row, 'statecode') ?? '',
    statusReason: label(row, 'statuscode') ?? '',
    createdOn: str(row, 'createdon') ?? '',
    modifiedOn: str(row, 'modifiedon') ?? '',
    owner: lookup(row, 'ownerid')?.name ?? '',
  };
}

/**
 * The case, if it is active. Judged by the numeric statecode: labels are localised (a user with a
 * German UI gets "Aktiv"), so comparing them would refuse every case in another language.
 */
export function activeCase(row: Row, verb = 'changed'): CaseView {
  const c = toCase(row);
  if (row['statecode'] !== CASE_STATE.active) {
    throw new ToolError(`Case ${c.ticketNumber} is ${c.state.toLowerCase() || 'not active'}; only active cases can be ${verb}.`, 'conflict');
  }
  return c;
}

/** The cases a result names, for resource links. */
export const caseRecords = (cases: readonly CaseView[]): RecordRef[] => cases.map((c) => ({ table: 'incident', id: c.caseId, name: c.title }));

export function caseLine(c: CaseView): string {
  return `${c.ticketNumber} "${c.title}" — ${c.state}/${c.statusReason}, ${c.priority} priority${c.customer ? `, ${c.customer.name}` : ''} (id ${c.caseId})`;
}
