import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

import { processEnv } from '../src/config/config.js';
import { LOCAL_APP_ID_URI, startEmbedded } from '../src/dev/embedded.js';
import { findLocalUser } from '../src/emulator/users.js';
import { CONFORMANCE_AGENT } from '../src/tools/conformance/index.js';
import { createLogger } from '../src/telemetry/log.js';

/**
 * Runs the official MCP conformance suite against a local server. The suite sends no bearer
 * token, so a loopback proxy adds one for a sample user: conformance traffic takes the real auth
 * path (auth is never switched off).
 *
 * The default agent, `conformance`, is the suite's fixture surface: a test-only route added to the
 * product agents for this run (ENABLE_TEST_AGENTS), served by the same server code.
 *
 *   npm run conformance -- [--agent conformance|sales|…] [--user alice] [conformance args, e.g. --requirements 2025-11-25]
 */

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const take = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return fallback;
    const value = argv[i + 1] ?? fallback;
    argv.splice(i, 2);
    return value;
  };
  const agent = take('--agent', 'conformance');
  const user = findLocalUser(take('--user', 'alice'))!;
  const product = JSON.parse(readFileSync('agents.json', 'utf8')) as { agents: unknown[] };
  const agents = JSON.stringify({ agents: [...product.agents, CONFORMANCE_AGENT] });
  const embedded = await startEmbedded({
    env: { ...processEnv(), TABLES_PREFIX: 'conformance', AGENTS_JSON: agents, ENABLE_TEST_AGENTS: 'true' },
    log: createLogger('error'),
    emulator: true,
  });
  const token = await embedded.idp!.mintUserToken(user, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'], lifetimeSeconds: 3600 });
  const target = new URL(embedded.host.url);

  const proxy = createServer((req, res) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host, authorization: `Bearer ${token}` } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp/${agent}`;
  process.stderr.write(`conformance against ${url} as ${user.alias}\n`);

  const child = spawn('npx', ['-y', '-p', 'node@22', '-p', '@modelcontextprotocol/conformance@0.2.0-alpha.12', '--', 'conformance', 'server', '--url', url, ...argv], { stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  proxy.close();
  await embedded.close();
  process.exit(code ?? 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
