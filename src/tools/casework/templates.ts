import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, eq, guid, or } from '../../dataverse/odata.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { canonicalEmailText } from '../emailBody.js';
import { str } from '../shared.js';

export const TemplateSchema = z.object({ templateId: z.string(), title: z.string(), description: z.string(), personal: z.boolean() });
export type TemplateView = z.infer<typeof TemplateSchema>;

const TEMPLATE_COLUMNS = ['templateid', 'title', 'description', 'ispersonal', '_ownerid_value'] as const;

export function toTemplate(row: Row): TemplateView {
  return { templateId: str(row, 'templateid') ?? '', title: str(row, 'title') ?? '', description: str(row, 'description') ?? '', personal: row['ispersonal'] === true };
}

/** Case templates the user may use: the organisation's and their own personal ones (one request). */
export async function caseTemplates(ctx: ToolContext): Promise<TemplateView[]> {
  const me = await ctx.user();
  const page = await ctx.dataverse.list(
    'templates',
    { select: TEMPLATE_COLUMNS, filter: and(eq('templatetypecode', 'incident'), or(eq('ispersonal', false), eq('_ownerid_value', guid(me.systemUserId)))), orderby: [{ property: 'title' }], top: 200 },
    { maxRows: 200 },
  );
  return page.rows.map(toTemplate);
}

export interface Instantiated {
  subject: string;
  /** Plain text, as the email tools show and send it. */
  body: string;
}

/** InstantiateTemplate: the template's data fields filled from the case, its contact and you; nothing is saved. */
export async function instantiate(ctx: ToolContext, templateId: string, incidentId: string): Promise<Instantiated> {
  const res = await ctx.dataverse.action<{ value?: Row[] }>('InstantiateTemplate', { TemplateId: templateId, ObjectType: 'incident', ObjectId: incidentId });
  const email = res.value?.[0];
  if (!email) throw new ToolError(`Template ${templateId} produced no email for this case.`, 'failed');
  return { subject: str(email, 'subject') ?? '', body: canonicalEmailText(str(email, 'description') ?? '') };
}
