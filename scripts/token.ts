import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { localIssuer, loadOrCreateSigningKey, mintToken, type SigningKeyPair } from '../src/auth/localIdp.js';
import { loadConfig, processEnv, readDevHostSettings } from '../src/config/config.js';
import { displayPath, findRunningDevHost, LOCAL_APP_ID_URI, RUNTIME_FILE, shellWord } from '../src/dev/embedded.js';
import { findLocalUser, LOCAL_TENANT_ID, LOCAL_USERS } from '../src/emulator/users.js';

/** What the token needs to know about one agent route. */
interface TokenAgent {
  id: string;
  url: string;
  audiences: readonly string[];
  requiredScopes: readonly string[];
}

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parseCommandLine(usage: string) {
  try {
    return parseArgs({
      options: {
        user: { type: 'string', short: 'u' },
        agent: { type: 'string', short: 'a', default: 'sales' },
        hours: { type: 'string', default: '8' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    // A mistyped command line is a usage error (exit 2), like the checks in main.
    fail(2, `${err instanceof Error ? err.message : String(err)}\n${usage}`);
  }
}

/**
 * `npm run token -- --user alice [--agent sales] [--hours 8]`: mints a bearer token from the local
 * identity provider's key for a sample user. The token is the last line of stdout; everything else
 * goes to stderr, so `$(npm run --silent token -- --user alice | tail -n 1)` captures it.
 *
 * The issuer and the agents come from the dev host running on DATA_DIR (its runtime file), so a host
 * started with another PORT still gets tokens it accepts; without one, from PORT and agents.json.
 */
async function main(): Promise<void> {
  const aliases = LOCAL_USERS.map((u) => u.alias).join(', ');
  const usage = `Usage: npm run token -- --user <${aliases}> [--agent <agentId>] [--hours <1-24>]`;
  const values = parseCommandLine(usage);
  if (values.help || !values.user) fail(values.help ? 0 : 2, usage);
  const hours = Number(values.hours);
  if (values.hours.trim() === '' || !Number.isFinite(hours) || hours < 1 || hours > 24) {
    fail(2, `--hours must be a number from 1 to 24 (got "${values.hours}").`);
  }
  const user = findLocalUser(values.user) ?? fail(2, `Unknown user "${values.user}". Sample users: ${aliases}.`);
  const env = processEnv();
  if (env['AUTH_CLIENT_ID']) {
    fail(2, 'AUTH_CLIENT_ID is set, so the server trusts Entra ID, not the local identity provider. Get a token from Entra instead.');
  }
  const settings = readDevHostSettings(env);
  const key = await loadOrCreateSigningKey(join(settings.dataDir, 'idp', 'signing-key.json'));
  const dataDirWord = shellWord(displayPath(settings.dataDir));

  let issuer: string;
  let agents: TokenAgent[];
  // Printed only once the token is minted, so an error stays the last word.
  const notes: string[] = [];
  const found = await findRunningDevHost(settings.dataDir);
  if (found.state === 'running') {
    const { runtime } = found;
    if (!runtime.identityProvider) {
      fail(2, `The dev host at ${runtime.url} trusts Entra ID (AUTH_CLIENT_ID), not the local identity provider. Get a token from Entra instead.`);
    }
    issuer = runtime.identityProvider.issuer;
    agents = runtime.agents;
    if (env['PORT'] && settings.port !== runtime.port) {
      notes.push(`Note: PORT=${settings.port} is ignored: the dev host running on DATA_DIR=${dataDirWord} listens on port ${runtime.port}.`);
    }
  } else {
    // The local issuer listens on PORT+1 (see startEmbedded), so its issuer URL is known without it running.
    const idpUrl = `http://127.0.0.1:${settings.port + 1}`;
    issuer = localIssuer(idpUrl, LOCAL_TENANT_ID);
    if (await servesOtherKey(idpUrl, key)) {
      fail(
        1,
        `The identity provider at ${idpUrl} signs with another key than the one in DATA_DIR=${dataDirWord}: that dev host was started with another DATA_DIR, and would reject this token. Run npm run token with the DATA_DIR it was started with.`,
      );
    }
    const config = loadConfig({ ...env, AUTH_APP_ID_URI: LOCAL_APP_ID_URI });
    agents = config.agents.map((a) => ({
      id: a.id,
      url: `http://127.0.0.1:${settings.port}/mcp/${a.id}`,
      audiences: a.audiences ?? config.auth.audiences,
      requiredScopes: a.requiredScopes ?? config.auth.requiredScopes,
    }));
    // Same settings on both sides, or the server's issuer will not be the one in the token.
    const same = [env['PORT'] && `PORT=${settings.port}`, env['DATA_DIR'] && `DATA_DIR=${dataDirWord}`].filter(Boolean).join(' ');
    const stale = found.state === 'stale' ? ` (ignoring ${join(dataDirWord, RUNTIME_FILE)}: ${found.reason})` : '';
    notes.push(
      `No dev host is running on DATA_DIR=${dataDirWord}${stale}. This token is for the identity provider at ${idpUrl}; ` +
        (same ? `start the server with the same settings: ${same} npm start` : 'start the server with: npm start'),
    );
  }

  const agent =
    agents.find((a) => a.id === values.agent) ?? fail(2, `Unknown agent "${values.agent}". Agents: ${agents.map((a) => a.id).join(', ')}.`);
  // The route accepts any of its audiences; the first is the agent's own (or the local app id URI).
  const audience = agent.audiences[0] ?? LOCAL_APP_ID_URI;
  const scopes = agent.requiredScopes.map((s) => s.split('/').pop() ?? s);
  const token = await mintToken(key, issuer, LOCAL_TENANT_ID, user, { audience, scopes, lifetimeSeconds: Math.round(hours * 3600) });
  for (const note of notes) process.stderr.write(`${note}\n`);
  process.stderr.write(`Token for ${user.fullName} <${user.email}> (${user.title}) on ${agent.url} (audience ${audience}), valid ${hours} h:\n`);
  process.stdout.write(`${token}\n`);
}

/** Whether a local identity provider answers at `idpUrl` without this key among its signing keys. */
async function servesOtherKey(idpUrl: string, key: SigningKeyPair): Promise<boolean> {
  // Nothing listening fails at once; the timeout only bounds a listener that never answers.
  const res = await fetch(`${idpUrl}/${LOCAL_TENANT_ID}/discovery/v2.0/keys`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  if (!res?.ok) {
    await res?.body?.cancel();
    return false;
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || !('keys' in body) || !Array.isArray(body.keys)) return false;
  const kids: unknown[] = body.keys.map((k: unknown) => (typeof k === 'object' && k !== null && 'kid' in k ? k.kid : undefined));
  return !kids.includes(key.kid);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
