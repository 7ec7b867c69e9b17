import { z } from 'zod';

import type { RewriteRequest } from '../../copilot/provider.js';
import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import { canonicalEmailText } from '../emailBody.js';
import { guidArg, orNotFound, str } from '../shared.js';

const RewriteOutput = z.object({
  emailId: z.string(),
  subject: z.string(),
  body: z.string(),
  isDraft: z.boolean(),
  source: z.string().describe('Which generator rewrote it'),
  notes: z.array(z.string()),
});

/** Reads the email as the user, has the Copilot provider rewrite it, and saves nothing. */
async function rewrite(ctx: ToolContext, emailId: string, kind: (s: { subject: string; body: string }) => RewriteRequest) {
  const row = await orNotFound('email', emailId, () => ctx.dataverse.get('emails', emailId, { select: ['activityid', 'subject', 'description', 'statecode'] }));
  const original = { subject: str(row, 'subject') ?? '', body: canonicalEmailText(str(row, 'description') ?? '') };
  if (!original.body.trim()) throw new ToolError(`Email ${emailId} has no text to rewrite.`, 'invalid_argument');
  const result = await ctx.copilot.rewrite(kind(original));
  if (!result.ok) throw new ToolError([result.reason, ...result.notes].join(' '), 'failed');
  const isDraft = row['statecode'] === 0;
  const data = { emailId, subject: result.subject, body: result.body, isDraft, source: result.source, notes: result.notes };
  const next = isDraft ? `Nothing was saved: to use it, call edit_email_draft with emailId ${emailId} and this subject and body.` : 'Nothing was saved (the email is not a draft).';
  return { data, text: [`Subject: ${result.subject}`, '', result.body, '', next, ...result.notes.map((n) => `(note) ${n}`)].join('\n'), records: [{ table: 'email', id: emailId, name: original.subject }] };
}

/** `adjust_email_tone` (MCP tool reference): the email rewritten in another tone by the Copilot provider; saved only through edit_email_draft. */
export const adjustEmailTone = defineTool({
  name: 'adjust_email_tone',
  kind: 'read',
  title: 'Adjust email tone',
  description: 'Rewrites an email in a formal, friendly, concise or empathetic tone, keeping every fact, name, number and link (through the agent\'s Copilot provider; the embedded generator says it cannot). Saves nothing: apply it with edit_email_draft.',
  input: z.object({ emailId: guidArg('The email (usually a draft).'), tone: z.enum(['formal', 'friendly', 'concise', 'empathetic']) }),
  output: RewriteOutput,
  run: (args, ctx) => rewrite(ctx, args.emailId, (e) => ({ ...e, kind: 'tone', tone: args.tone })),
});

/** `translate_email` (MCP tool reference): the email in another language; for a customer's email, to read it; for a draft, to send it. */
export const translateEmail = defineTool({
  name: 'translate_email',
  kind: 'read',
  title: 'Translate email',
  description: "Translates an email (a customer's, to read it, or a draft, to send it) into another language, keeping names, numbers and links as written (through the agent's Copilot provider; the embedded generator says it cannot). Saves nothing.",
  input: z.object({ emailId: guidArg('The email.'), language: z.string().trim().min(2).max(40).describe('Target language, e.g. "German" or "de-DE".') }),
  output: RewriteOutput,
  run: (args, ctx) => rewrite(ctx, args.emailId, (e) => ({ ...e, kind: 'translate', language: args.language })),
});
