import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { generateSigningKey, type LocalIdp, startLocalIdp } from '../../src/auth/localIdp.js';
import { LOCAL_APP_CLIENT_ID, LOCAL_APP_ID_URI } from '../../src/dev/embedded.js';
import { LOCAL_TENANT_ID, LOCAL_USERS } from '../../src/emulator/users.js';
import { type BundleResult, bundleFunctions, EXTERNALS, functionEntries, ROOT } from '../../scripts/bundleFunctions.js';
import type { HostReport } from '../../scripts/functionsHost.js';
import { uniquePrefix } from '../helpers/harness.js';

const run = promisify(execFile);

// Inside the project, so the bundle's externals resolve from node_modules as they do when deployed.
const outdir = join(ROOT, 'dist', `.test-bundle-${randomBytes(4).toString('hex')}`);
let bundle: BundleResult;
let host: string;
let idp: LocalIdp;
let clientSecret: string;

beforeAll(async () => {
  bundle = await bundleFunctions({ outdir });
  // The worker stand-in, built from its TypeScript source (it imports only node built-ins).
  host = join(outdir, 'functionsHost.mjs');
  await build({ entryPoints: [join(ROOT, 'scripts', 'functionsHost.ts')], outfile: host, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  clientSecret = randomBytes(24).toString('base64url');
  idp = await startLocalIdp({
    tenantId: LOCAL_TENANT_ID,
    key: await generateSigningKey(),
    users: LOCAL_USERS,
    clients: [{ clientId: LOCAL_APP_CLIENT_ID, clientSecret, audiences: [LOCAL_APP_ID_URI, LOCAL_APP_CLIENT_ID] }],
    resources: [],
  });
});

afterAll(async () => {
  await idp?.close();
  await rm(outdir, { recursive: true, force: true });
});

/** Runs the bundled entries in a fresh process under the worker stand-in. */
async function hostRun(env: Record<string, string> = {}): Promise<HostReport> {
  const entries = bundle.entries.map((e) => join(outdir, e));
  const { stdout } = await run(process.execPath, [host, ...entries], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, maxBuffer: 8 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as HostReport;
}

function appEnv(): Record<string, string> {
  return {
    TABLES_CONNECTION_STRING: inject('tablesConnectionString'),
    TABLES_PREFIX: uniquePrefix(),
    MCP_STATE_SECRET: randomBytes(32).toString('hex'),
    AUTH_AUTHORITY: idp.url,
    AUTH_V1_ISSUER_BASE: `${idp.url}/sts`,
    AUTH_TENANTS: LOCAL_TENANT_ID,
    AUTH_CLIENT_ID: LOCAL_APP_CLIENT_ID,
    AUTH_APP_ID_URI: LOCAL_APP_ID_URI,
    AUTH_CLIENT_SECRET: clientSecret,
    AGENTS_FILE: join(ROOT, 'agents.json'),
    PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
    // No Dataverse here to read privileges from: every tool is listed.
    TOOL_DISCOVERY: 'all',
  };
}

const trigger = (report: HostReport, name: string) => {
  const registration = report.registrations.find((r) => r.name === name);
  expect(registration, `function ${name} is registered`).toBeDefined();
  const bindings = Object.values(registration!.bindings);
  const found = bindings.find((b) => b.direction === 'in' && b.type.endsWith('Trigger'));
  expect(found, `function ${name} has a trigger`).toBeDefined();
  return { trigger: found!, bindings };
};

describe('bundled Functions entries', () => {
  it('are one file per entry in dist/bundle (what package.json main names), with shared code in chunks/', () => {
    const expected = functionEntries().map((f) => f.replace(/^functions\//, '').replace(/\.ts$/, '.js'));
    expect(bundle.entries).toEqual(expected);
    expect(expected).toEqual(expect.arrayContaining(['mcp.js', 'wellKnown.js', 'health.js', 'sweep.js']));
    expect(bundle.chunks.length).toBeGreaterThan(0);
    for (const chunk of bundle.chunks) expect(chunk.startsWith('chunks/'), chunk).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    // The host loads every file `main` matches: the entries, not the chunks (they are imported).
    expect(pkg.main).toBe('dist/bundle/*.js');
  });

  it('import only node built-ins, production dependencies the deployment installs, and what the worker provides', () => {
    const metafile = JSON.parse(readFileSync(join(outdir, 'meta.json'), 'utf8')) as Metafile;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const externals = new Set(Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)));
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const packages = [...externals].filter((p) => !builtins.has(p));
    // @azure/functions is bundled; the worker answers its require of the core API.
    expect(packages).toContain('@azure/functions-core');
    for (const name of packages) expect(EXTERNALS as readonly string[], `${name} is a declared external`).toContain(name);
    for (const name of packages) {
      if (name === '@azure/functions-core') continue; // provided by the worker to require()
      expect(pkg.dependencies[name], `${name} is a production dependency`).toBeDefined();
    }
    // Nothing of the dev host or the emulator went in.
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toEqual(expect.arrayContaining(['functions/mcp.ts', 'src/http/handleMcp.ts']));
    expect(inputs.filter((i) => /^src\/(dev|emulator)\//.test(i))).toEqual([]);
  });

  it('register the routes, methods and auth levels the host serves, with HTTP streaming on', async () => {
    const report = await hostRun();
    expect(report.programmingModel).toBe('@azure/functions');
    // The programming model hands the host its streaming proxy only with enableHttpStream.
    expect(report.capabilities['HttpUri']).toMatch(/^http:\/\/localhost:\d+\/$/);
    expect(report.registrations.map((r) => r.name).sort()).toEqual([
      'authorizationServerMetadata',
      'health',
      'mcp',
      'mcpFile',
      'mcpLegacyMessage',
      'mcpLegacySse',
      'protectedResourceMetadata',
      'sweepExpiredSessions',
    ]);

    const mcp = trigger(report, 'mcp');
    expect(mcp.trigger).toMatchObject({ type: 'httpTrigger', route: 'mcp/{agentId}', authLevel: 'anonymous' });
    expect(mcp.trigger.methods).toEqual(['GET', 'POST', 'DELETE']);
    expect(mcp.bindings.some((b) => b.direction === 'out' && b.type === 'http')).toBe(true);
    // The legacy HTTP+SSE transport (2024-11-05): its stream and its message endpoint.
    expect(trigger(report, 'mcpLegacySse').trigger).toMatchObject({ type: 'httpTrigger', route: 'mcp/{agentId}/sse', methods: ['GET'], authLevel: 'anonymous' });
    expect(trigger(report, 'mcpLegacyMessage').trigger).toMatchObject({ type: 'httpTrigger', route: 'mcp/{agentId}/message', methods: ['POST'], authLevel: 'anonymous' });
    // Knowledge documents behind get_reference's signed links.
    expect(trigger(report, 'mcpFile').trigger).toMatchObject({ type: 'httpTrigger', route: 'mcp/{agentId}/files/{token}', methods: ['GET', 'HEAD'], authLevel: 'anonymous' });
    expect(trigger(report, 'protectedResourceMetadata').trigger).toMatchObject({ route: '.well-known/oauth-protected-resource/mcp/{agentId}', methods: ['GET', 'HEAD', 'OPTIONS'], authLevel: 'anonymous' });
    expect(trigger(report, 'authorizationServerMetadata').trigger).toMatchObject({ route: '.well-known/oauth-authorization-server', methods: ['GET', 'HEAD', 'OPTIONS'], authLevel: 'anonymous' });
    expect(trigger(report, 'health').trigger).toMatchObject({ route: 'health', methods: ['GET'], authLevel: 'anonymous' });
    expect(trigger(report, 'sweepExpiredSessions').trigger).toMatchObject({ type: 'timerTrigger', schedule: '0 */30 * * * *' });
    // The app is built when the worker starts, not on the first request.
    expect(report.hooks).toContain('appStart');
  });

  it('serve a 2025-era initialize through the streaming proxy: an SSE answer and a session id', async () => {
    const token = await idp.mintUserToken(LOCAL_USERS[0]!, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'] });
    const report = await hostRun({
      ...appEnv(),
      MCP_HOST_TOKEN: token,
      MCP_HOST_AGENT: 'sales',
      MCP_HOST_INVOKE: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'copilot-like', version: '1' } } }),
    });
    const answer = report.invocation!;
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(answer.headers['mcp-session-id']).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(answer.body).toMatch(/^event: message\ndata: /m);
    expect(answer.body).toContain('"protocolVersion":"2025-11-25"');
  });

  it('answer a 2026-07-28 tools/list on the first request of a fresh process', async () => {
    const token = await idp.mintUserToken(LOCAL_USERS[0]!, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'] });
    const report = await hostRun({
      ...appEnv(),
      MCP_HOST_TOKEN: token,
      MCP_HOST_AGENT: 'sales',
      MCP_HOST_PROTOCOL_VERSION: '2026-07-28',
      MCP_HOST_INVOKE: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } },
      }),
    });
    expect(report.invocation!.status).toBe(200);
    expect(report.invocation!.body).toContain('"D365_Sales_ListLeads"');
  });

  it('answer 401 with the resource metadata challenge when the token is missing', async () => {
    const report = await hostRun({
      ...appEnv(),
      MCP_HOST_AGENT: 'sales',
      MCP_HOST_INVOKE: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    expect(report.invocation!.status).toBe(401);
    expect(report.invocation!.headers['www-authenticate']).toContain('resource_metadata="http://127.0.0.1:7071/.well-known/oauth-protected-resource/mcp/sales"');
  });
});
