import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { DataverseError, describeDataverseError } from '../../dataverse/errors.js';
import { and, bind, eq, or } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { createConfirmed, orNotFound, previewText, str } from '../shared.js';
import { activeCase, CASE_COLUMNS, CaseSchema, caseLine } from '../service/caseFields.js';
import { incidentIdArg } from './caseworkData.js';

type Target = { kind: 'user' | 'team' | 'queue'; id: string; name: string };

const SOURCES = {
  user: { set: 'systemusers', id: 'systemuserid', name: 'fullname', match: (v: string) => or(eq('fullname', v), eq('internalemailaddress', v)), scope: eq('isdisabled', false) },
  // Only owner teams own records (teamtype 0; access teams, 1, cannot: team table reference).
  team: { set: 'teams', id: 'teamid', name: 'name', match: (v: string) => eq('name', v), scope: eq('teamtype', 0) },
  queue: { set: 'queues', id: 'queueid', name: 'name', match: (v: string) => or(eq('name', v), eq('emailaddress', v)), scope: eq('statecode', 0) },
} as const;

/** The user, team or queue the case goes to: "me", an exact name or email address; more than one match is refused with the candidates. */
async function resolveTarget(ctx: Parameters<typeof createConfirmed>[0], to: string, kind: Target['kind'] | undefined): Promise<Target> {
  if (to.toLowerCase() === 'me') {
    const me = await ctx.user();
    return { kind: 'user', id: me.systemUserId, name: me.fullName ?? 'you' };
  }
  const kinds = kind ? [kind] : (['user', 'team', 'queue'] as const);
  const found = (
    await Promise.all(
      kinds.map(async (k) => {
        const s = SOURCES[k];
        const page = await ctx.dataverse.list(s.set, { select: [s.id, s.name], filter: and(s.match(to), s.scope), top: 3 }, { maxRows: 3 });
        return page.rows.map((r: Row) => ({ kind: k, id: str(r, s.id) ?? '', name: str(r, s.name) ?? to }));
      }),
    )
  ).flat();
  if (found.length === 0) throw new ToolError(`No ${kind ?? 'user, team or queue'} is named "${to}" (exact name or email address; or "me").`, 'not_found');
  if (found.length > 1) throw new ToolError(`"${to}" matches ${found.map((f) => `${f.kind} ${f.name} (${f.id})`).join(', ')}: give toType to choose.`, 'invalid_argument');
  return found[0]!;
}

/**
 * `reassign_case` (MCP tool reference): hands a case to a user or team (its owner changes) or to a
 * queue (AddToQueue; nobody works it until picked), and posts a handover note with the reason on
 * the case timeline so the next owner has the context.
 */
export const reassignCase = defineTool({
  name: 'reassign_case',
  kind: 'write',
  // Handing a case to someone else changes who owns it: confirmed on every agent.
  alwaysConfirm: true,
  title: 'Reassign case',
  description:
    'Transfers an active case to a user, a team or a queue (by exact name, email address, or "me") and posts a handover note with your reason on the case timeline. Always asks the user to confirm first.',
  input: z.object({
    incidentId: incidentIdArg,
    to: z.string().trim().min(1).max(200).describe('Who or where: a user\'s full name or email, a team name, a queue name, or "me".'),
    toType: z.enum(['user', 'team', 'queue']).optional().describe('Say what "to" is when a name could be more than one.'),
    reason: z.string().trim().min(1).max(2000).describe('Why it is transferred: posted as the handover note.'),
  }),
  output: z.object({ case: CaseSchema, assignedTo: z.object({ kind: z.enum(['user', 'team', 'queue']), id: z.string(), name: z.string() }), noteId: z.string() }),
  auditTarget: (args) => `incident:${args.incidentId}`,
  async prepare(args, ctx) {
    const [row, target, noteKey] = await Promise.all([
      orNotFound('case', args.incidentId, () => ctx.dataverse.get('incidents', args.incidentId, { select: CASE_COLUMNS })),
      resolveTarget(ctx, args.to, args.toType),
      ctx.metadata.bindKey('annotation', 'objectid', 'incident'),
      ctx.privileges.require({ table: 'incident', ops: ['Read', 'Write', 'AppendTo'] }, { table: 'annotation', ops: ['Create', 'Append'] }),
    ]);
    await (target.kind === 'queue'
      ? ctx.privileges.require({ table: 'queue', ops: ['Read', 'AppendTo'] }, { table: 'queueitem', ops: ['Create', 'Write'] })
      : ctx.privileges.require({ table: 'incident', ops: ['Assign'] }));
    const c = activeCase(row, 'reassigned');
    const note = `Reassigned to ${target.name} (${target.kind}): ${args.reason}`;
    return {
      preview: {
        summary: `${target.kind === 'queue' ? 'Move' : 'Reassign'} case ${c.ticketNumber} "${c.title}" to ${target.kind} ${target.name} and post a handover note.`,
        details: { case: caseLine(c), from: c.owner, to: `${target.name} (${target.kind})`, note: previewText(note) },
      },
      async run() {
        // The note first: after the hand-over the user may no longer see the case (user-level access).
        const { id: noteId } = await createConfirmed(ctx, { table: 'annotation', entitySet: 'annotations', primaryId: 'annotationid' }, { subject: 'Handover', notetext: note, [noteKey]: bind('incidents', args.incidentId) });
        try {
          if (target.kind === 'queue') {
            await ctx.dataverse.boundAction('queues', target.id, 'AddToQueue', { Target: { '@odata.type': 'Microsoft.Dynamics.CRM.incident', incidentid: args.incidentId } });
          } else {
            await ctx.dataverse.update('incidents', args.incidentId, { 'ownerid@odata.bind': bind(target.kind === 'user' ? 'systemusers' : 'teams', target.id) });
          }
        } catch (err) {
          const why = err instanceof DataverseError ? describeDataverseError(err, 'The hand-over') : 'The hand-over failed unexpectedly.';
          throw new ToolError(`The handover note is on case ${c.ticketNumber}, but the case was not ${target.kind === 'queue' ? 'moved' : 'reassigned'}: ${why}`, 'failed');
        }
        // Not read back: the case may no longer be readable by the user who handed it over.
        const after = target.kind === 'queue' ? c : { ...c, owner: target.name };
        return {
          data: { case: after, assignedTo: target, noteId },
          text: `${target.kind === 'queue' ? `Moved ${caseLine(after)} to queue ${target.name}` : `Reassigned ${caseLine(after)} to ${target.name}`}; the handover note is on its timeline.`,
          target: `incident:${args.incidentId}`,
          records: [{ table: 'incident', id: args.incidentId, name: after.title }],
        };
      },
    };
  },
});
