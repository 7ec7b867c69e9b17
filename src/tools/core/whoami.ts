import { z } from 'zod';

import { defineTool } from '../defineTool.js';

export const whoami = defineTool({
  name: 'whoami',
  toolset: 'core',
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
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(_args, ctx) {
    const { principal: p, agent } = ctx;
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
    };
    const who = p.name ?? p.username ?? p.objectId;
    return {
      data,
      text: `You are ${who} (tenant ${p.tenantId}) on agent "${agent.id}"${agent.readOnly ? ' (read-only)' : ''}, protocol ${ctx.protocolVersion}.`,
    };
  },
});
