import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { loadConfig, PLATFORM_SETTINGS, SETTING_NAMES } from '../../src/config/config.js';
import { createTelemetry, type TelemetryRecord } from '../../src/telemetry/telemetry.js';
import { expectEvery } from '../helpers/expectEvery.js';
import { type BicepFile, type BicepNode, type Declaration, get, parseBicep, walk } from './bicepReader.js';

const ROOT = join(import.meta.dirname, '..', '..');
const INFRA = join(ROOT, 'infra');

function bicepFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? bicepFiles(join(dir, e.name)) : e.name.endsWith('.bicep') ? [join(dir, e.name)] : []));
}

const files = new Map<string, BicepFile>(bicepFiles().map((f) => [relative(INFRA, f), parseBicep(readFileSync(join(f), 'utf8'))]));
const file = (name: string): BicepFile => {
  const f = files.get(name);
  expect(f, `infra/${name} exists`).toBeDefined();
  return f!;
};
const decl = <K extends Declaration['kind']>(f: BicepFile, kind: K, name: string): Extract<Declaration, { kind: K }> => {
  const found = f.declarations.find((d) => d.kind === kind && 'name' in d && d.name === name);
  expect(found, `${kind} ${name}`).toBeDefined();
  return found as Extract<Declaration, { kind: K }>;
};
const vars = (f: BicepFile) => new Map(f.declarations.flatMap((d) => (d.kind === 'var' ? [[d.name, d.value] as const] : [])));
const str = (node: BicepNode | undefined): string | undefined => (node?.kind === 'string' ? node.value : undefined);
const text = (node: BicepNode | undefined): string => (node?.kind === 'expr' ? node.text : node?.kind === 'string' ? `'${node.value}'` : String(node?.kind));

/** The object literals a value stands for: itself, or through var references, unions and ternaries, every branch. */
function objectsOf(node: BicepNode, scope: Map<string, BicepNode>, seen = new Set<string>()): Array<Map<string, BicepNode>> {
  if (node.kind === 'object') return [node.props];
  if (node.kind === 'array') return node.items.flatMap((item) => objectsOf(item, scope, seen));
  if (node.kind !== 'expr') return [];
  const out: Array<Map<string, BicepNode>> = [];
  for (const child of node.children) out.push(...objectsOf(child, scope, seen));
  for (const id of node.identifiers) {
    const target = scope.get(id);
    if (target && !seen.has(id)) {
      seen.add(id);
      out.push(...objectsOf(target, scope, seen));
    }
  }
  return out;
}

const functionApp = file('app/functionApp.bicep');
const functionVars = vars(functionApp);
const site = decl(functionApp, 'module', 'site');
const appSettingsNode = get(site.body, 'params.appSettingsKeyValuePairs');

/** Every app setting the Function App gets, with the value node (all branches of the OBO choice). */
const appSettings = new Map<string, BicepNode>();
for (const props of objectsOf(appSettingsNode!, functionVars)) for (const [k, v] of props) appSettings.set(k, v);

/** A string value with `${var}` references to string vars of the same file resolved. */
function resolved(node: BicepNode | undefined, scope: Map<string, BicepNode>): string | undefined {
  const value = str(node);
  return value?.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => str(scope.get(name)) ?? whole);
}

describe('infra templates (read without a Bicep compiler)', () => {
  it('parse, pin their registry modules, and reference only files that exist', () => {
    expect([...files.keys()].sort()).toEqual(
      expect.arrayContaining(['main.bicep', 'app/functionApp.bicep', 'app/rbac.bicep', 'app/entraApp.bicep', 'app/entraAppDefinition.bicep', 'app/workbook.bicep']),
    );
    const modules = [...files.entries()].flatMap(([name, f]) => f.declarations.flatMap((d) => (d.kind === 'module' ? [{ from: name, path: d.path }] : [])));
    expectEvery(modules, ({ from, path }) => {
      if (path.startsWith('br/public:')) expect(path, `${from}: ${path}`).toMatch(/^br\/public:avm\/res\/[a-z-]+\/[a-z-]+:\d+\.\d+\.\d+$/);
      else expect(files.has(join(from, '..', path).replace(/^\.\//, '')), `${from}: ${path}`).toBe(true);
    });
    const scope = file('main.bicep').declarations.find((d) => d.kind === 'targetScope');
    expect(scope?.kind === 'targetScope' && str(scope.value)).toBe('subscription');
  });

  it('put the app on Flex Consumption with Node 22, always-ready instances as a parameter', () => {
    const main = file('main.bicep');
    expect(str(get(decl(main, 'module', 'plan').body, 'params.sku.name'))).toBe('FC1');
    expect(str(get(decl(main, 'module', 'plan').body, 'params.sku.tier'))).toBe('FlexConsumption');
    expect(str(get(site.body, 'params.kind'))).toBe('functionapp,linux');
    expect(str(get(site.body, 'params.functionAppConfig.runtime.name'))).toBe('node');
    expect(str(get(site.body, 'params.functionAppConfig.runtime.version'))).toBe('22');
    // alwaysReady comes from the parameter, through main.bicep.
    const alwaysReady = get(site.body, 'params.functionAppConfig.scaleAndConcurrency.alwaysReady');
    expect(text(alwaysReady)).toBe('alwaysReady');
    const group = objectsOf(functionVars.get('alwaysReady')!, functionVars)[0];
    expect(str(group?.get('name'))).toBe('http');
    expect(text(group?.get('instanceCount'))).toBe('alwaysReadyInstanceCount');
    expect(decl(main, 'param', 'alwaysReadyInstanceCount').type).toBe('int');
    expect(text(get(decl(main, 'module', 'functionApp').body, 'params.alwaysReadyInstanceCount'))).toBe('alwaysReadyInstanceCount');
    // The deployment package lives in blob storage, reached with the user-assigned identity.
    expect(str(get(site.body, 'params.functionAppConfig.deployment.storage.authentication.type'))).toBe('UserAssignedIdentity');
    expect(text(get(site.body, 'params.keyVaultAccessIdentityResourceId'))).toBe('identityId');
  });

  it('set every app setting the server needs in Azure, and only settings it reads', () => {
    const host = [...appSettings.keys()].filter((k) => k.startsWith('AzureWebJobsStorage__'));
    const library = ['OTEL_SERVICE_NAME'];
    const server = [...appSettings.keys()].filter((k) => !k.startsWith('AzureWebJobsStorage__') && !library.includes(k));
    expect(str(appSettings.get('OTEL_SERVICE_NAME'))).toBe('dataverse-mcp');
    expect(host.sort()).toEqual(['AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__clientId', 'AzureWebJobsStorage__credential', 'AzureWebJobsStorage__queueServiceUri', 'AzureWebJobsStorage__tableServiceUri']);
    expect(str(appSettings.get('AzureWebJobsStorage__credential'))).toBe('managedidentity');
    for (const name of server) expect(SETTING_NAMES.includes(name) && !PLATFORM_SETTINGS.includes(name), `${name} is a setting src/config reads`).toBe(true);
    for (const required of [
      'MCP_STATE_SECRET',
      'TABLES_ACCOUNT_URL',
      'TABLES_MANAGED_IDENTITY_CLIENT_ID',
      'QUEUES_ACCOUNT_URL',
      'AUTH_TENANTS',
      'AUTH_CLIENT_ID',
      'AUTH_APP_ID_URI',
      'AUTH_REQUIRED_SCOPES',
      'AUTH_OBO_MODE',
      'AUTH_MANAGED_IDENTITY_CLIENT_ID',
      'AUTH_CLIENT_SECRET',
      'DATAVERSE_URL',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'COPILOT_PROVIDER',
    ]) {
      expect(appSettings.has(required), required).toBe(true);
    }
    // Identity only: no connection string with a key reaches the app.
    expect(appSettings.has('TABLES_CONNECTION_STRING')).toBe(false);
    expect(appSettings.has('QUEUES_CONNECTION_STRING')).toBe(false);
    expect(appSettings.has('AzureWebJobsStorage')).toBe(false);
  });

  it.each([
    ['managed-identity', 'managedIdentityObo'],
    ['secret', 'secretObo'],
  ])('give the server a configuration it starts with, OBO mode %s', (mode, branch) => {
    // What each value becomes once deployed: literals as written, expressions as Azure fills them.
    const deployed: Record<string, string> = {
      TABLES_ACCOUNT_URL: 'https://stmcpabc.table.core.windows.net/',
      TABLES_MANAGED_IDENTITY_CLIENT_ID: '6f1c2e3d-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
      QUEUES_ACCOUNT_URL: 'https://stmcpabc.queue.core.windows.net/',
      AUTH_MANAGED_IDENTITY_CLIENT_ID: '6f1c2e3d-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
      TABLES_PREFIX: 'mcp',
      MCP_STATE_SECRET: 'k'.repeat(72),
      AUTH_CLIENT_SECRET: 'from-key-vault',
      AUTH_AUTHORITY: 'https://login.microsoftonline.com/',
      AUTH_TENANTS: '3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
      AUTH_CLIENT_ID: 'd1a7a5e0-6d3b-4c1e-9f0a-5e7c0de0c11e',
      AUTH_APP_ID_URI: 'api://d1a7a5e0-6d3b-4c1e-9f0a-5e7c0de0c11e',
      AUTH_OBO_MODE: mode,
      DATAVERSE_URL: 'https://contoso.crm.dynamics.com',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
      COPILOT_PROVIDER: 'embedded',
    };
    const env: Record<string, string> = { AGENTS_FILE: join(ROOT, 'agents.json'), WEBSITE_HOSTNAME: 'func-mcp.azurewebsites.net' };
    const branchKeys = new Set(['AUTH_MANAGED_IDENTITY_CLIENT_ID', 'AUTH_CLIENT_SECRET']);
    const chosen = objectsOf(functionVars.get(branch)!, functionVars).flatMap((o) => [...o.keys()]);
    // Set only when their parameter is given (a custom domain, inline agents): the defaults apply otherwise.
    const optional = ['agentsSettings', 'baseUrlSettings', 'copilotChatSettings'].flatMap((v) => objectsOf(functionVars.get(v)!, functionVars).flatMap((o) => [...o.keys()]));
    expect(optional.sort()).toEqual(['AGENTS_JSON', 'COPILOT_CHAT_AUTH', 'COPILOT_CHAT_MANAGED_IDENTITY_CLIENT_ID', 'COPILOT_CHAT_MODEL', 'COPILOT_CHAT_URL', 'PUBLIC_BASE_URL']);
    for (const [name, node] of appSettings) {
      if (name.startsWith('AzureWebJobsStorage__') || name === 'OTEL_SERVICE_NAME' || optional.includes(name) || (branchKeys.has(name) && !chosen.includes(name))) continue;
      const literal = str(node);
      const value = literal !== undefined && !(node as { interpolated?: boolean }).interpolated ? literal : deployed[name];
      expect(value, `a deployed value for ${name}`).toBeDefined();
      env[name] = value!;
    }
    const config = loadConfig(env);
    expect(config.tables).toMatchObject({ accountUrl: 'https://stmcpabc.table.core.windows.net', connectionString: undefined });
    expect(config.queues).toEqual({ accountUrl: 'https://stmcpabc.queue.core.windows.net', connectionString: undefined, managedIdentityClientId: '6f1c2e3d-4b5a-4c6d-8e7f-9a0b1c2d3e4f' });
    expect(config.stateSecret?.length).toBeGreaterThanOrEqual(32);
    expect(config.auth.obo?.kind).toBe(mode);
    if (mode === 'managed-identity') expect(config.auth.obo).toEqual({ kind: 'managed-identity', managedIdentityClientId: '6f1c2e3d-4b5a-4c6d-8e7f-9a0b1c2d3e4f' });
    expect(config.publicBaseUrl).toBe('https://func-mcp.azurewebsites.net');
  });

  it('inline no secret: secrets are Key Vault references, secure parameters have no value and are never output', () => {
    for (const name of ['MCP_STATE_SECRET', 'AUTH_CLIENT_SECRET']) {
      expect(resolved(appSettings.get(name), functionVars), name).toMatch(/^@Microsoft\.KeyVault\(SecretUri=\$\{keyVaultUri\}secrets\/[a-z-]+\/\)$/);
    }
    const secretLike = /AccountKey=|SharedAccessSignature|[?&]sig=|InstrumentationKey=[0-9a-f-]{8}|eyJ[A-Za-z0-9_-]{8,}\.|-----BEGIN|client_secret=/i;
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    for (const [name, f] of files) {
      expectEvery(f.strings, (s) => {
        expect(s, `${name}: ${s.slice(0, 40)}`).not.toMatch(secretLike);
        // A long run of key-like characters that is not a GUID would be a pasted credential.
        if (!guid.test(s)) expect(/^[A-Za-z0-9+/=_-]{24,}$/.test(s) && /\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s), `${name}: ${s.slice(0, 40)}`).toBe(false);
      }, `string literals in ${name}`);
      const secure = f.declarations.filter((d): d is Extract<Declaration, { kind: 'param' }> => d.kind === 'param' && d.decorators.some((x) => x.name === 'secure'));
      for (const p of secure) {
        const def = p.default;
        // Empty, or generated at deployment time (newGuid), never a value in the file.
        expect(def === undefined || str(def) === '' || /^'\$\{newGuid\(\)\}\$\{newGuid\(\)\}'$/.test(text(def)), `${name}: default of ${p.name}`).toBe(true);
      }
      const secretNames = new Set([...secure.map((p) => p.name), 'stateSecret', 'stateSecretEntry', 'oboSecretEntry']);
      for (const d of f.declarations) {
        if (d.kind !== 'output') continue;
        const used = [...walk(d.value)].flatMap((n) => (n.kind === 'expr' ? n.identifiers : []));
        expect(used.filter((u) => secretNames.has(u)), `${name}: output ${d.name}`).toEqual([]);
      }
    }
    // Key Vault gets the secrets from the secure parameters, never from a literal.
    const vault = decl(file('main.bicep'), 'module', 'vault');
    expect(get(vault.body, 'params.enableRbacAuthorization')).toMatchObject({ kind: 'expr', text: 'true' });
    const mainVars = vars(file('main.bicep'));
    const entries = [...walk(mainVars.get('stateSecretEntry')!), ...walk(mainVars.get('oboSecretEntry')!)].filter((n) => n.kind === 'object');
    expectEvery(entries, (e) => expect(e.kind === 'object' && e.props.get('value')?.kind).toBe('expr'), 'Key Vault secret entries');
    // The parameters file only names environment variables.
    const parameters = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: unknown }> };
    expectEvery(Object.entries(parameters.parameters), ([k, v]) => expect(String(v.value), k).toMatch(/^\$\{[A-Z_]+(=[A-Za-z0-9-]*)?\}$/), 'parameters');
  });

  it('give the identity Table, Queue and Blob data roles on the storage account (shared keys off) and Secrets User on the vault', () => {
    const main = file('main.bicep');
    expect(get(decl(main, 'module', 'storage').body, 'params.allowSharedKeyAccess')).toMatchObject({ kind: 'expr', text: 'false' });
    const rbacModule = decl(main, 'module', 'rbac');
    expect(text(get(rbacModule.body, 'params.identityPrincipalId'))).toBe('identity . outputs . principalId');
    const rbac = file('app/rbac.bicep');
    const roles = objectsOf(vars(rbac).get('roles')!, vars(rbac))[0]!;
    const assignments = rbac.declarations.filter((d): d is Extract<Declaration, { kind: 'resource' }> => d.kind === 'resource' && d.type.startsWith('Microsoft.Authorization/roleAssignments@'));
    const granted = assignments.map((a) => {
      const roleRef = get(a.body, 'properties.roleDefinitionId');
      const roleKey = roleRef?.kind === 'expr' ? roleRef.identifiers.find((i, n, all) => all[n - 1] === 'roles' && i !== 'roles') : undefined;
      return {
        role: str(roles.get(roleKey ?? '')),
        scope: text(get(a.body, 'scope')),
        principal: text(get(a.body, 'properties.principalId')),
        unconditional: a.condition === undefined,
      };
    });
    const identityHas = (roleId: string, scope: string) =>
      expect(granted.some((g) => g.role === roleId && g.scope === scope && g.principal === 'identityPrincipalId' && g.unconditional), `${roleId} on ${scope}`).toBe(true);
    identityHas('0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', 'storageAccount'); // Storage Table Data Contributor
    identityHas('974c5e8b-45b9-4653-ba55-5f855dd0fb88', 'storageAccount'); // Storage Queue Data Contributor
    identityHas('b7e6dc6d-f1e8-4753-8033-0f276bb0955b', 'storageAccount'); // Storage Blob Data Owner (host keys, package)
    identityHas('4633458b-17de-408a-b874-0445c86b69e6', 'vault'); // Key Vault Secrets User
    // The Function App waits for them: Key Vault references resolve only with the role in place.
    const dependsOn = get(decl(main, 'module', 'functionApp').body, 'dependsOn');
    expect(dependsOn?.kind === 'array' && dependsOn.items.map(text)).toEqual(['rbac']);
  });

  it('describe the Entra app registration: access_as_user, Dynamics CRM user_impersonation, a federated credential trusting the identity', () => {
    const entra = file('app/entraApp.bicep');
    const definition = file('app/entraAppDefinition.bicep');
    for (const f of [entra, definition]) expect(f.declarations.some((d) => d.kind === 'extension' && d.name === 'microsoftGraphV1')).toBe(true);
    const config = JSON.parse(readFileSync(join(INFRA, 'bicepconfig.json'), 'utf8')) as { extensions: Record<string, string> };
    expect(config.extensions['microsoftGraphV1']).toMatch(/^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:\d+\.\d+\.\d+$/);

    const app = decl(definition, 'resource', 'app');
    expect(app.type).toBe('Microsoft.Graph/applications@v1.0');
    const uris = get(app.body, 'identifierUris');
    expect(uris?.kind === 'array' && uris.items.map(text)).toEqual(['appIdUri']);
    expect(str(vars(definition).get('appIdUri'))).toBe('api://${appId}');
    const scopes = get(app.body, 'api.oauth2PermissionScopes');
    expect(scopes?.kind === 'array' && scopes.items.map((s) => str(get(s, 'value')))).toEqual(['access_as_user']);
    expect(get(app.body, 'api.requestedAccessTokenVersion')).toMatchObject({ text: '2' });
    const access = get(app.body, 'requiredResourceAccess');
    expect(access?.kind).toBe('array');
    const entraVars = vars(entra);
    expect(str(entraVars.get('dynamicsCrmAppId'))).toBe('00000007-0000-0000-c000-000000000000');
    expect(str(entraVars.get('userImpersonationScopeId'))).toBe('78ce3f0f-a1ce-49c2-8cde-64b5c0896db4');

    const fic = decl(entra, 'resource', 'federatedCredential');
    expect(fic.type).toBe('Microsoft.Graph/applications/federatedIdentityCredentials@v1.0');
    expect(fic.condition).toBe('( federated )');
    const audiences = get(fic.body, 'audiences');
    expect(audiences?.kind === 'array' && audiences.items.map(str)).toEqual(['api://AzureADTokenExchange']);
    expect(text(get(fic.body, 'subject'))).toBe('identityPrincipalId');
    expect(text(get(decl(file('main.bicep'), 'module', 'entraApp').body, 'params.identityPrincipalId'))).toBe('identity . outputs . principalId');
  });

  it('deploy with azd: one function service from the project root, infra from infra/, every main.bicep parameter it needs', () => {
    const azure = parseYaml(readFileSync(join(ROOT, 'azure.yaml'), 'utf8')) as {
      infra: { provider: string; path: string; module: string };
      services: Record<string, { project: string; language: string; host: string; remoteBuild?: boolean }>;
    };
    expect(azure.infra).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(azure.services['api']).toMatchObject({ project: '.', language: 'ts', host: 'function', remoteBuild: true });
    const main = file('main.bicep');
    const params = main.declarations.filter((d): d is Extract<Declaration, { kind: 'param' }> => d.kind === 'param');
    const given = Object.keys((JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: object }).parameters);
    for (const name of given) expect(params.map((p) => p.name), `main.bicep has param ${name}`).toContain(name);
    for (const p of params.filter((x) => x.default === undefined)) expect(given, `${p.name} (no default) comes from the azd environment`).toContain(p.name);
    for (const wanted of ['tenantId', 'dataverseUrl', 'agentsJson', 'oboCredentialMode']) expect(given).toContain(wanted);
    // The tag azd finds the app by.
    const tags = objectsOf(get(site.body, 'params.tags')!, functionVars);
    expect(tags.some((t) => str(t.get('azd-service-name')) === 'api')).toBe(true);
  });

  it('ship a workbook whose queries read exactly the records and dimensions the telemetry emits', () => {
    const workbook = JSON.parse(readFileSync(join(INFRA, 'monitoring', 'workbook.json'), 'utf8')) as { items: Array<{ type: number; content: { title?: string; query?: string } }> };
    const queries = workbook.items.filter((i) => i.type === 3).map((i) => ({ title: i.content.title ?? '', query: i.content.query ?? '' }));
    const titles = queries.map((q) => q.title.toLowerCase()).join(' | ');
    for (const topic of ['calls per tool', 'error rate', 'p95', '429', 'confirmations asked vs given']) expect(titles).toContain(topic);
    const kql = readFileSync(join(INFRA, 'monitoring', 'queries.kql'), 'utf8');
    for (const q of queries) expect(kql, q.title).toContain(q.query);

    // Records as the telemetry makes them, from one of each call.
    const records: TelemetryRecord[] = [];
    const telemetry = createTelemetry({ sinks: [{ emit: (r) => records.push(r), flush: async () => undefined }], agents: ['sales'], tools: ['whoami'] });
    const exchange = telemetry.exchange('sales', '0f8fad5b-d9cb-469f-a165-70867728950e');
    exchange.describe({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }, 'legacy', new Set(['whoami']));
    exchange.finish(new Response(null, { status: 200 }));
    telemetry.dataverse('0f8fad5b-d9cb-469f-a165-70867728950e')({ method: 'GET', entity: 'leads', status: 429, throttled: true, attempt: 2, ms: 5, requestId: 'abc' });
    for (const stage of ['asked', 'given', 'refused'] as const) telemetry.confirmation(stage, { agent: 'sales', tool: 'whoami', era: 'legacy', via: 'handle' });
    telemetry.write({ agent: 'sales', tool: 'whoami', era: 'legacy', outcome: 'succeeded' });
    telemetry.cacheLookup('obo', true);
    const table = { request: 'requests', dependency: 'dependencies', event: 'customEvents', metric: 'customMetrics' } as const;
    for (const q of queries) {
      const source = /^\s*([A-Za-z]+)/.exec(q.query)?.[1];
      const ofTable = records.filter((r) => table[r.type] === source);
      expect(ofTable.length, `${q.title}: ${source} is a table the telemetry writes`).toBeGreaterThan(0);
      const names = new Set(ofTable.map((r) => r.name));
      for (const m of q.query.matchAll(/\bname (?:==|startswith) "([^"]+)"/g)) expect([...names].some((n) => n === m[1] || n.startsWith(m[1]!)), `${q.title}: name "${m[1]}"`).toBe(true);
      for (const m of q.query.matchAll(/\bname in \(([^)]*)\)/g)) for (const n of m[1]!.matchAll(/"([^"]+)"/g)) expect(names.has(n[1]!), `${q.title}: name "${n[1]}"`).toBe(true);
      const keys = new Set(ofTable.flatMap((r) => Object.keys(r.properties).concat(r.type === 'dependency' ? ['system'] : [])));
      for (const m of q.query.matchAll(/customDimensions\.([A-Za-z]+)/g)) expect(keys.has(m[1]!), `${q.title}: customDimensions.${m[1]}`).toBe(true);
    }
  });
});
