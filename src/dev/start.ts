import { LOCAL_USERS } from '../emulator/users.js';
import { processEnv, readDevHostSettings } from '../config/config.js';
import { createLogger } from '../telemetry/log.js';
import { displayPath, shellWord, startEmbedded } from './embedded.js';

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
    `  Health: ${host.url}/health`,
    '',
    `  Dataverse: ${embedded.emulator ? `embedded emulator with sample data at ${config.dataverse.url}` : config.dataverse.url}`,
    `  Identity:  ${embedded.idp ? `local identity provider at ${embedded.idp.url} (tenant ${embedded.idp.tenantId})` : config.auth.authority}`,
    `  Sessions:  ${embedded.azurite ? `Azurite Table Storage on 127.0.0.1:${embedded.azurite.port}` : 'Azure Table Storage (TABLES_CONNECTION_STRING)'}`,
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
      '  Then connect, for example:',
      `    npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 -- mcp-inspector --cli ${host.url}/mcp/sales --transport http \\`,
      '      --header "Authorization: Bearer $TOKEN" --method tools/list',
      '    Claude Desktop and VS Code: see "Connect a client" in README.md',
      '',
    );
  }
  lines.push('  Press Ctrl+C to stop.', '');
  process.stdout.write(lines.join('\n'));

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
}

main().catch((err: unknown) => {
  process.stderr.write(`\nCould not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
