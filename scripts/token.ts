import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { localIssuer, loadOrCreateSigningKey, mintToken } from '../src/auth/localIdp.js';
import { loadConfig, processEnv, readDevHostSettings } from '../src/config/config.js';
import { LOCAL_APP_ID_URI } from '../src/dev/embedded.js';
import { findLocalUser, LOCAL_TENANT_ID, LOCAL_USERS } from '../src/emulator/users.js';

/**
 * `npm run token -- --user alice [--agent sales] [--hours 8]`: mints a bearer token from the local
 * identity provider's key for a sample user. The token is the last line of stdout; everything else
 * goes to stderr, so `$(npm run --silent token -- --user alice | tail -n 1)` captures it.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string', short: 'u' },
      agent: { type: 'string', short: 'a', default: 'sales' },
      hours: { type: 'string', default: '8' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const aliases = LOCAL_USERS.map((u) => u.alias).join(', ');
  if (values.help || !values.user) {
    process.stderr.write(`Usage: npm run token -- --user <${aliases}> [--agent <agentId>] [--hours <1-24>]\n`);
    process.exit(values.help ? 0 : 2);
  }
  const user = findLocalUser(values.user);
  if (!user) {
    process.stderr.write(`Unknown user "${values.user}". Sample users: ${aliases}.\n`);
    process.exit(2);
  }
  const env = processEnv();
  if (env['AUTH_CLIENT_ID']) {
    process.stderr.write('AUTH_CLIENT_ID is set, so the server trusts Entra ID, not the local identity provider. Get a token from Entra instead.\n');
    process.exit(2);
  }
  const settings = readDevHostSettings(env);
  const config = loadConfig({ ...env, AUTH_APP_ID_URI: LOCAL_APP_ID_URI });
  const agent = config.agents.find((a) => a.id === values.agent);
  if (!agent) {
    process.stderr.write(`Unknown agent "${values.agent}". Agents: ${config.agents.map((a) => a.id).join(', ')}.\n`);
    process.exit(2);
  }
  const hours = Math.min(Math.max(Number(values.hours) || 8, 1), 24);
  const key = await loadOrCreateSigningKey(join(settings.dataDir, 'idp', 'signing-key.json'));
  // The local issuer listens on PORT+1 (see startEmbedded), so its issuer URL is known without it running.
  const issuer = localIssuer(`http://127.0.0.1:${settings.port + 1}`, LOCAL_TENANT_ID);
  const audience = agent.audiences?.[0] ?? LOCAL_APP_ID_URI;
  const scopes = (agent.requiredScopes ?? config.auth.requiredScopes).map((s) => s.split('/').pop() ?? s);
  const token = await mintToken(key, issuer, LOCAL_TENANT_ID, user, { audience, scopes, lifetimeSeconds: hours * 3600 });
  process.stderr.write(`Token for ${user.fullName} <${user.email}> (${user.title}) on agent "${agent.id}", valid ${hours} h:\n`);
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
