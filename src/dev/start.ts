import { join } from 'node:path';

import { findLocalUser, LOCAL_USERS } from '../emulator/users.js';
import { processEnv, readDevHostSettings } from '../config/config.js';
import { createLogger } from '../telemetry/log.js';
import { defaultClientUser, tokenTarget, writeClientSetups } from './clientSetup.js';
import { displayPath, LOCAL_APP_ID_URI, shellWord, startEmbedded } from './embedded.js';

/**
 * `npm start`: the whole product on loopback with the embedded default (Dataverse emulator with
 * sample data, Azurite Table Storage, local identity provider). `npm start -- --reset` starts clean.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write('Usage: npm start [-- --reset]\n  --reset  delete local data (sessions, emulator database, keys) and start clean\n');
    return;
  }
  const env = processEnv();
  const settings = readDevHostSettings(env);
  const log = createLogger(env['LOG_LEVEL'] === 'debug' ? 'debug' : 'warn');
  const started = Date.now();
  const embedded = await startEmbedded({ dataDir: settings.dataDir, reset: args.includes('--reset'), port: settings.port, env, log });
  const { config, host } = embedded;

  const sweepOnce = () =>
    Promise.all([embedded.app.sessions.sweepExpired(), embedded.app.confirmations.sweepExpired()]).catch((err: unknown) =>
      log.warn('sweep failed', { error: err instanceof Error ? err.message : String(err) }),
    );
  const sweep = setInterval(() => void sweepOnce(), 10 * 60_000);
  sweep.unref();
  void sweepOnce();

  const width = Math.max(...[...embedded.app.routes.keys()].map((k) => k.length));
  const lines = [
    '',
    `Dynamics 365 & Dataverse MCP server is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    '',
    '  MCP endpoints (Streamable HTTP; both the 2026-07-28 and the 2025 protocol revisions):',
    ...[...embedded.app.routes.values()].map(
      (r) => `    ${r.config.id.padEnd(width)}  ${host.url}/mcp/${r.config.id}   ${r.config.title}${r.config.readOnly && !/read-only/i.test(r.config.title) ? ' (read-only)' : ''}`,
    ),
    '  Legacy HTTP+SSE clients (2024-11-05): GET /mcp/{agent}/sse on the same host, e.g.',
    `    ${host.url}/mcp/${[...embedded.app.routes.keys()][0] ?? '{agent}'}/sse`,
    `  Health: ${host.url}/health`,
    '',
    `  Dataverse: ${embedded.emulator ? `embedded emulator with sample data at ${config.dataverse.url}` : config.dataverse.url}`,
    `  Identity:  ${embedded.idp ? `local identity provider at ${embedded.idp.url} (tenant ${embedded.idp.tenantId})` : config.auth.authority}`,
    `  Sessions:  ${embedded.azurite ? `Azurite Table Storage on 127.0.0.1:${embedded.azurite.port}, delivery queues on 127.0.0.1:${embedded.azurite.queuePort}` : 'Azure Table Storage (TABLES_CONNECTION_STRING) and Storage Queues'}`,
    `  Data:      ${settings.dataDir}${embedded.azurite || embedded.emulator ? '  (npm start -- --reset to start clean)' : ''}`,
    '',
  ];
  if (embedded.idp) {
    // npm run token finds this host through DATA_DIR (PORT comes from the runtime file there).
    const tokenEnv = env['DATA_DIR'] ? `DATA_DIR=${shellWord(displayPath(settings.dataDir))} ` : '';
    lines.push(
      `  Sign in as a sample user (${LOCAL_USERS.map((u) => u.alias).join(', ')}):`,
      `    TOKEN=$(${tokenEnv}npm run --silent token -- --user alice --agent sales | tail -n 1)`,
      '',
    );
  }
  // The endpoints first, at once: whoever watches /health finds them printed.
  process.stdout.write(lines.join('\n') + '\n');

  // Before anything else is awaited: a stop request from now on shuts down cleanly.
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping…\n');
    clearInterval(sweep);
    await embedded.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  if (embedded.idp) {
    await writeClientFiles(embedded.idp);
  } else {
    process.stdout.write('  Press Ctrl+C to stop.\n\n');
  }

  async function writeClientFiles(idp: NonNullable<typeof embedded.idp>): Promise<void> {
    const tokenEnv = env['DATA_DIR'] ? `DATA_DIR=${shellWord(displayPath(settings.dataDir))} ` : '';
    // Ready-to-use set-up per agent with fresh tokens, in files: tokens stay out of the scrollback.
    const hours = 8;
    const expiresAt = new Date(Date.now() + hours * 3600_000);
    const setups = await Promise.all(
      [...embedded.app.routes.values()].map(async (r) => {
        const user = findLocalUser(defaultClientUser(r.config.id)) ?? LOCAL_USERS[0]!;
        const target = tokenTarget(r.auth.audiences, r.auth.requiredScopes, LOCAL_APP_ID_URI);
        const token = await idp.mintUserToken(user, { ...target, lifetimeSeconds: hours * 3600 });
        return { agent: { id: r.config.id, title: r.config.title, url: `${host.url}/mcp/${r.config.id}` }, token, user: user.alias, expiresAt };
      }),
    );
    const clientsDir = join(settings.dataDir, 'clients');
    try {
      await writeClientSetups(clientsDir, setups);
    } catch (err) {
      // The server serves regardless; only the convenience files are missing.
      process.stdout.write(`  Client set-up not written (${err instanceof Error ? err.message : String(err)}); use npm run token.\n\n  Press Ctrl+C to stop.\n\n`);
      return;
    }
    const shown = displayPath(clientsDir);
    process.stdout.write(
      [
        `  Client set-up with fresh tokens (valid ${hours} h), one folder per agent in ${shown}/:`,
        ...setups.map((x) => `    ${x.agent.id.padEnd(width)}  as ${x.user.padEnd(5)}  vscode-mcp.json  claude_desktop_config.json  inspector.sh  curl.sh`),
        `    e.g. sh ${shellWord(join(shown, 'sales', 'inspector.sh'))}   (another user or fresh tokens: ${tokenEnv}npm run clients -- --user bob)`,
        '',
        '  Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`\nCould not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
