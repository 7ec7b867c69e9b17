import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { loadOrCreateSigningKey, mintToken } from '../src/auth/localIdp.js';
import { loadConfig, processEnv, readDevHostSettings } from '../src/config/config.js';
import { DEFAULT_CLIENT_USERS, defaultClientUser, tokenTarget, writeClientSetups } from '../src/dev/clientSetup.js';
import { displayPath, findRunningDevHost, LOCAL_APP_ID_URI } from '../src/dev/embedded.js';
import { findLocalUser, LOCAL_TENANT_ID, LOCAL_USERS } from '../src/emulator/users.js';

/**
 * `npm run clients -- [--user alice] [--hours 8]`: writes, for every agent of the dev host running
 * on DATA_DIR, ready-to-use set-up for VS Code, Claude Desktop, the MCP Inspector and curl with a
 * fresh token, to DATA_DIR/clients/<agent>/ (`npm start` writes the same at start-up).
 */
function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const aliases = LOCAL_USERS.map((u) => u.alias).join(', ');
  const usage = `Usage: npm run clients -- [--user <${aliases}>] [--hours <1-24>]\n  Without --user, each agent gets its usual sample user (${Object.entries(DEFAULT_CLIENT_USERS).map(([a, u]) => `${a}: ${u}`).join(', ')}).`;
  let values: { user?: string; hours: string; help?: boolean };
  try {
    values = parseArgs({ options: { user: { type: 'string', short: 'u' }, hours: { type: 'string', default: '8' }, help: { type: 'boolean', short: 'h' } } }).values as typeof values;
  } catch (err) {
    fail(2, `${err instanceof Error ? err.message : String(err)}\n${usage}`);
  }
  if (values.help) fail(0, usage);
  const hours = Number(values.hours);
  if (!Number.isFinite(hours) || hours < 1 || hours > 24) fail(2, `--hours must be a number from 1 to 24 (got "${values.hours}").`);
  if (values.user && !findLocalUser(values.user)) fail(2, `Unknown user "${values.user}". Sample users: ${aliases}.`);

  const env = processEnv();
  const settings = readDevHostSettings(env);
  const found = await findRunningDevHost(settings.dataDir);
  if (found.state !== 'running') fail(1, `No dev host is running on DATA_DIR=${displayPath(settings.dataDir)}: start it with npm start (it writes this set-up too).`);
  const { runtime } = found;
  if (!runtime.identityProvider) fail(2, `The dev host at ${runtime.url} trusts Entra ID (AUTH_CLIENT_ID): get tokens from Entra, not from the local identity provider.`);
  const key = await loadOrCreateSigningKey(join(settings.dataDir, 'idp', 'signing-key.json'));
  const titles = new Map(loadConfig({ ...env, AUTH_APP_ID_URI: LOCAL_APP_ID_URI }).agents.map((a) => [a.id, a.title]));
  const expiresAt = new Date(Date.now() + hours * 3600_000);
  const setups = [];
  for (const agent of runtime.agents) {
    const user = findLocalUser(values.user ?? defaultClientUser(agent.id)) ?? LOCAL_USERS[0]!;
    const target = tokenTarget(agent.audiences, agent.requiredScopes, LOCAL_APP_ID_URI);
    const token = await mintToken(key, runtime.identityProvider.issuer, LOCAL_TENANT_ID, user, { ...target, lifetimeSeconds: Math.round(hours * 3600) });
    setups.push({ agent: { id: agent.id, title: titles.get(agent.id) ?? agent.id, url: agent.url }, token, user: user.alias, expiresAt });
  }
  const dir = join(settings.dataDir, 'clients');
  const folders = await writeClientSetups(dir, setups);
  process.stdout.write(`Client set-up with tokens valid ${hours} h written to ${displayPath(dir)}:\n${folders.map((f) => `  ${displayPath(f)}/  (vscode-mcp.json, claude_desktop_config.json, inspector.sh, curl.sh)`).join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
