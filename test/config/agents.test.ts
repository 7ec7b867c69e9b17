import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { AgentsFileSchema, ConfigError, loadAgentsFile, parseAgents } from '../../src/config/agents.js';
import { loadConfig } from '../../src/config/config.js';

describe('agents configuration', () => {
  it('the shipped agents.json is valid and has sales, service and dataverse', () => {
    const agents = loadAgentsFile('agents.json');
    expect(agents.map((a) => a.id)).toEqual(expect.arrayContaining(['sales', 'service', 'dataverse']));
    expect(agents.every((a) => a.enabled)).toBe(true);
  });

  it('agents.schema.json matches the zod schema (regenerate with `npx vitest -u`)', async () => {
    const schema = z.toJSONSchema(AgentsFileSchema, { io: 'input', reused: 'inline' });
    await expect(JSON.stringify(schema, null, 2) + '\n').toMatchFileSnapshot('../../agents.schema.json');
  });

  it('reports every problem with its path', () => {
    const bad = { agents: [{ id: 'Bad Id', title: '', toolsets: ['nope'] }, { id: 'ok', title: 'x', toolsets: ['core'], extra: 1 }] };
    let message = '';
    try {
      parseAgents(bad, 'test');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('agents.0.id');
    expect(message).toContain('agents.0.title');
    expect(message).toContain('agents.0.toolsets.0');
    expect(message).toMatch(/agents\.1.*extra|Unrecognized key/);
  });

  it('delete_entity_record deletes only notes and activities unless an agent opts into any table', () => {
    const [strict, open] = parseAgents({ agents: [{ id: 'a', title: 'A', toolsets: ['records'] }, { id: 'b', title: 'B', toolsets: ['records'], recordDeletes: 'any' }] }, 't');
    expect([strict!.recordDeletes, open!.recordDeletes]).toEqual(['notes-and-activities', 'any']);
    expect(() => parseAgents({ agents: [{ id: 'a', title: 'A', toolsets: ['records'], recordDeletes: 'all' }] }, 't')).toThrow(/recordDeletes/);
  });

  it('refuses duplicate agent ids', () => {
    expect(() => parseAgents({ agents: [{ id: 'a', title: 'A', toolsets: ['core'] }, { id: 'a', title: 'B', toolsets: ['core'] }] }, 't')).toThrow(/duplicate agent id/);
  });

  it('env: defaults, lists, and clear errors for bad values', () => {
    const config = loadConfig({ AGENTS_FILE: 'agents.json', AUTH_CLIENT_ID: 'abc', AUTH_TENANTS: 't1, t2', AUTH_CLIENT_SECRET: 's' });
    expect(config.auth.audiences).toEqual(['api://abc', 'abc']);
    expect(config.auth.tenants).toEqual(['t1', 't2']);
    expect(config.auth.requiredScopes).toEqual(['access_as_user']);
    expect(config.auth.obo).toEqual({ kind: 'secret', clientSecret: 's' });
    expect(config.mcpEnabled).toBe(true);
    expect(() => loadConfig({ AGENTS_FILE: 'agents.json', MAX_BODY_BYTES: 'lots' })).toThrow(/MAX_BODY_BYTES/);
    expect(() => loadConfig({ AGENTS_FILE: 'agents.json', MCP_STATE_SECRET: 'short' })).toThrow(/MCP_STATE_SECRET/);
    expect(() => loadConfig({ AGENTS_FILE: 'missing.json' })).toThrow(/not found/);
  });

  it('the README documents every environment setting the config reads', async () => {
    const readme = await readFile('README.md', 'utf8');
    const source = await readFile('src/config/config.ts', 'utf8');
    const keys = [...source.matchAll(/^\s{2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(20);
    const missing = keys.filter((k) => !['WEBSITE_HOSTNAME', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER'].includes(k) && !readme.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });
});
