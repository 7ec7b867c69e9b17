/**
 * `npm run connector -- --agent <id> --host <https base> --out <dir> [--client-id <id>] [--tenant <id>] [--app-id-uri <uri>]`
 *
 * Writes a Power Platform custom connector for one agent route, the way Copilot Studio consumes MCP
 * servers: `apiDefinition.swagger.json` (OpenAPI 2.0, one POST operation marked
 * `x-ms-agentic-protocol: mcp-streamable-1.0`, OAuth 2.0 with the agent's audience and scope) and
 * `apiProperties.json` (the Entra ID OAuth settings). Import both with
 * `pac connector create --api-definition-file … --api-properties-file …` or in make.powerapps.com.
 * The audience and scope are the ones the route itself demands (agents.json and the AUTH_* settings,
 * as src/app builds them), so the connector asks for exactly the token the server accepts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { fullScope } from '../src/auth/authenticate.js';
import { type Env, loadConfig, processEnv } from '../src/config/config.js';

export const AGENTIC_PROTOCOL = 'mcp-streamable-1.0';
/** Power Platform's global consent redirect; each connector also gets its own (shown after saving). */
export const REDIRECT_URL = 'https://global.consent.azure-apim.net/redirect';
const SECURITY = 'oauth2-auth';

export interface ConnectorInput {
  agent: { id: string; title: string; description: string };
  /** https://<host>[:port] of the deployed server. */
  host: string;
  /** The resource: the server app's Application ID URI (api://…). */
  resource: string;
  /** Full delegated scopes the route requires (api://…/access_as_user). */
  scopes: string[];
  tenantId: string;
  /** Client id of the connector's own app registration; a placeholder when not known yet. */
  clientId: string;
  loginUri?: string;
}

export interface ConnectorFiles {
  apiDefinition: Record<string, unknown>;
  apiProperties: Record<string, unknown>;
}

/** The two files of the connector, as objects. */
export function connectorFiles(input: ConnectorInput): ConnectorFiles {
  const base = new URL(input.host);
  const loginUri = (input.loginUri ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  // Power Platform limits connector titles to 30 characters.
  const title = `Dataverse MCP ${input.agent.id}`.slice(0, 30);
  const description = `MCP server for Dynamics 365 and Dataverse: ${input.agent.title}. ${input.agent.description}`.replace(/\s+/g, ' ').trim().slice(0, 500);
  const apiDefinition = {
    swagger: '2.0',
    info: { title, description, version: '1.0.0' },
    host: base.host,
    basePath: `/mcp/${input.agent.id}`,
    schemes: ['https'],
    consumes: ['application/json'],
    produces: ['application/json', 'text/event-stream'],
    paths: {
      '/': {
        post: {
          summary: input.agent.title,
          description: `The MCP endpoint of agent ${input.agent.id} (Streamable HTTP).`,
          operationId: 'InvokeMCP',
          'x-ms-agentic-protocol': AGENTIC_PROTOCOL,
          responses: { '200': { description: 'Success' } },
        },
      },
    },
    securityDefinitions: {
      [SECURITY]: {
        type: 'oauth2',
        flow: 'accessCode',
        authorizationUrl: `${loginUri}/${input.tenantId}/oauth2/v2.0/authorize`,
        tokenUrl: `${loginUri}/${input.tenantId}/oauth2/v2.0/token`,
        scopes: Object.fromEntries(input.scopes.map((s) => [s, 'Use Dynamics 365 through the MCP server as the signed-in user'])),
      },
    },
    security: [{ [SECURITY]: input.scopes }],
  };
  const apiProperties = {
    properties: {
      iconBrandColor: '#0b556a',
      capabilities: [],
      connectionParameters: {
        token: {
          type: 'oauthSetting',
          oAuthSettings: {
            identityProvider: 'aad',
            clientId: input.clientId,
            scopes: input.scopes,
            redirectMode: 'GlobalPerConnector',
            redirectUrl: REDIRECT_URL,
            properties: { IsFirstParty: 'False', AzureActiveDirectoryResourceId: input.resource, IsOnbehalfofLoginSupported: false },
            customParameters: {
              loginUri: { value: loginUri },
              tenantId: { value: input.tenantId },
              resourceUri: { value: input.resource },
              enableOnbehalfOfLogin: { value: 'false' },
            },
          },
        },
      },
      policyTemplateInstances: [],
    },
  };
  return { apiDefinition, apiProperties };
}

export class UsageError extends Error {}

const USAGE =
  'Usage: npm run connector -- --agent <agentId> --host <https://your-app.azurewebsites.net> --out <dir> [--client-id <connector app id>] [--tenant <tenant id>] [--app-id-uri <api://…>]';

/** Reads the command line and the configuration into a connector input. */
export function connectorInput(argv: readonly string[], env: Env): { input: ConnectorInput; out: string; notes: string[] } {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: { agent: { type: 'string' }, host: { type: 'string' }, out: { type: 'string' }, 'client-id': { type: 'string' }, tenant: { type: 'string' }, 'app-id-uri': { type: 'string' } },
    }).values;
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (!values['agent'] || !values['host'] || !values['out']) throw new UsageError(USAGE);
  let host: URL;
  try {
    host = new URL(values['host']);
  } catch {
    throw new UsageError(`--host must be a URL such as https://your-app.azurewebsites.net (got "${values['host']}").`);
  }
  if (host.protocol !== 'https:') throw new UsageError('--host must be https: Power Platform connectors call HTTPS endpoints only (deploy first; a local server is not reachable).');
  if (host.pathname !== '/' || host.search) throw new UsageError('--host is the base URL only; the route /mcp/<agentId> is added.');

  const config = loadConfig({ ...env, ...(values['app-id-uri'] && { AUTH_APP_ID_URI: values['app-id-uri'] }), ...(values['tenant'] && { AUTH_TENANTS: values['tenant'] }) });
  const agent = config.agents.find((a) => a.id === values['agent']);
  if (!agent) throw new UsageError(`Unknown agent "${values['agent']}". Agents: ${config.agents.map((a) => a.id).join(', ')}.`);
  // Exactly as the route is built (src/app/buildApp.ts): the agent's audiences, else the server's.
  const audiences = agent.audiences ?? config.auth.audiences;
  const resource = audiences.find((a) => a.startsWith('api://')) ?? config.auth.appIdUri;
  if (!resource) throw new UsageError('The server app\'s Application ID URI is unknown: pass --app-id-uri api://<server-app-client-id> (azd prints it as MCP_SERVER_APP_ID_URI), or set AUTH_APP_ID_URI.');
  const scopes = (agent.requiredScopes ?? config.auth.requiredScopes).map((s) => fullScope(s, resource));
  const notes: string[] = [];
  const tenantId = config.auth.tenants[0] ?? 'organizations';
  if (!config.auth.tenants[0]) notes.push('No tenant given (--tenant or AUTH_TENANTS): the connector signs in through "organizations"; a single-tenant server app needs its tenant id.');
  const clientId = values['client-id'] ?? '<connector-app-client-id>';
  if (!values['client-id']) notes.push('No --client-id: apiProperties.json holds a placeholder; enter the connector app\'s client id and secret on the Security tab (README "Copilot Studio").');
  return {
    input: { agent: { id: agent.id, title: agent.title, description: agent.description ?? '' }, host: host.origin, resource, scopes, tenantId, clientId, loginUri: config.auth.authority },
    out: resolve(values['out']),
    notes,
  };
}

/** The command: writes both files; returns the paths written. */
export async function runConnector(argv: readonly string[], env: Env): Promise<{ files: string[]; notes: string[] }> {
  const { input, out, notes } = connectorInput(argv, env);
  const { apiDefinition, apiProperties } = connectorFiles(input);
  await mkdir(out, { recursive: true });
  const files = [join(out, 'apiDefinition.swagger.json'), join(out, 'apiProperties.json')];
  await writeFile(files[0]!, `${JSON.stringify(apiDefinition, null, 2)}\n`);
  await writeFile(files[1]!, `${JSON.stringify(apiProperties, null, 2)}\n`);
  return { files, notes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runConnector(process.argv.slice(2), processEnv())
    .then(({ files, notes }) => {
      for (const note of notes) process.stderr.write(`Note: ${note}\n`);
      process.stdout.write(`Wrote ${files.join(' and ')}.\nCreate the connector: pac connector create --api-definition-file ${files[0]} --api-properties-file ${files[1]}\n(or make.powerapps.com → Custom connectors → New → Import an OpenAPI file).\n`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    });
}
