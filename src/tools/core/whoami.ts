import { z } from 'zod';

import { DataverseError, describeDataverseError } from '../../dataverse/errors.js';
import { OboError } from '../../auth/oboError.js';
import { defineTool, ToolError } from '../defineTool.js';

export const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description:
    'Shows who the server believes is calling (user, tenant, granted scopes), which agent route is in use and which tools it allows. Use it to diagnose access problems.',
  input: z.object({}),
  output: z.object({
    user: z.object({
      name: z.string().describe('Display name from the token, or empty'),
      username: z.string().describe('Sign-in name, or empty'),
      tenantId: z.string(),
      objectId: z.string(),
      scopes: z.array(z.string()),
    }),
    agent: z.object({
      id: z.string(),
      title: z.string(),
      readOnly: z.boolean(),
      toolsets: z.array(z.string()),
    }),
    protocol: z.object({ era: z.string(), version: z.string() }),
    dataverse: z
      .object({
        userId: z.string().optional(),
        businessUnitId: z.string().optional(),
        organizationId: z.string().optional(),
        error: z.string().optional().describe('Why Dataverse could not be reached on your behalf'),
      })
      .describe('Who Dataverse sees (WhoAmI), proving the on-behalf-of chain works'),
  }),
  kind: 'read',
  async run(_args, ctx) {
    const { principal: p, agent } = ctx;
    let dataverse: { userId?: string; businessUnitId?: string; organizationId?: string; error?: string };
    try {
      const me = await ctx.dataverse.whoAmI();
      dataverse = { userId: me.UserId, businessUnitId: me.BusinessUnitId, organizationId: me.OrganizationId };
    } catch (err) {
      // Only errors written for users are shown; anything else stays in the log.
      dataverse = {
        error: err instanceof DataverseError ? describeDataverseError(err, 'WhoAmI') : err instanceof OboError || err instanceof ToolError ? err.message : 'Dataverse could not be reached on your behalf.',
      };
      if (!(err instanceof DataverseError || err instanceof OboError || err instanceof ToolError)) ctx.log.warn('whoami: dataverse failed', { error: err instanceof Error ? err.name : 'unknown' });
    }
    const data = {
      user: {
        name: p.name ?? '',
        username: p.username ?? '',
        tenantId: p.tenantId,
        objectId: p.objectId,
        scopes: p.scopes,
      },
      agent: { id: agent.id, title: agent.title, readOnly: agent.readOnly, toolsets: [...agent.toolsets] },
      protocol: { era: ctx.era, version: ctx.protocolVersion },
      dataverse,
    };
    const who = p.name ?? p.username ?? p.objectId;
    return {
      data,
      text: `You are ${who} (tenant ${p.tenantId}) on agent "${agent.id}"${agent.readOnly ? ' (read-only)' : ''}, protocol ${ctx.protocolVersion}. ${dataverse.userId ? `Dataverse knows you as system user ${dataverse.userId}.` : `Dataverse: ${dataverse.error ?? 'not reachable'}`}`,
    };
  },
});
