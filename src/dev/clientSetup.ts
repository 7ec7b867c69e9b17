import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { shellWord } from './embedded.js';

/**
 * Ready-to-use client set-up for each agent of the dev host: VS Code (.vscode/mcp.json), Claude
 * Desktop (through mcp-remote), the MCP Inspector CLI and a curl sequence, each carrying a fresh dev
 * token. Written under DATA_DIR/clients/<agent>/ by `npm start` and `npm run clients`; the files
 * hold bearer tokens, so they are private to the user (0600) and live in the git-ignored data dir.
 */

export interface ClientAgent {
  id: string;
  title: string;
  url: string;
}

export interface ClientFile {
  /** Relative to the agent's folder. */
  name: string;
  content: string;
  executable?: boolean;
}

/** Who the set-up signs in as, per shipped agent (any sample user works on any agent). */
export const DEFAULT_CLIENT_USERS: Readonly<Record<string, string>> = { sales: 'alice', service: 'bob', dataverse: 'dana', insights: 'rita' };

/** The sample user of an agent: its own, else that of the agent it renames (`service-cx` → `service`), else alice. */
export function defaultClientUser(agentId: string): string {
  return DEFAULT_CLIENT_USERS[agentId] ?? DEFAULT_CLIENT_USERS[agentId.replace(/-cx$/, '')] ?? 'alice';
}

export const INSPECTOR = 'npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 -- mcp-inspector';

export function clientFiles(agent: ClientAgent, token: string, user: string, expiresAt: Date): ClientFile[] {
  const server = `dynamics-${agent.id}`;
  const header = `Bearer ${token}`;
  const banner = `Set-up for agent "${agent.id}" (${agent.title}) as ${user}; the token expires ${expiresAt.toISOString()}. Regenerate with npm run clients.`;
  const vscode = { servers: { [server]: { type: 'http', url: agent.url, headers: { Authorization: header } } } };
  const claude = {
    mcpServers: { [server]: { command: 'npx', args: ['-y', 'mcp-remote', agent.url, '--header', 'Authorization:${AUTH_HEADER}'], env: { AUTH_HEADER: header } } },
  };
  const curl = (body: string) => `curl -sS -X POST "$MCP" -H "Content-Type: application/json" -H "Authorization: Bearer $TOKEN" -d '${body}'`;
  return [
    { name: 'vscode-mcp.json', content: `${JSON.stringify(vscode, null, 2)}\n` },
    { name: 'claude_desktop_config.json', content: `${JSON.stringify(claude, null, 2)}\n` },
    {
      name: 'inspector.sh',
      executable: true,
      content: [
        '#!/bin/sh',
        `# ${banner}`,
        `# Lists the tools; in the Inspector UI (${INSPECTOR}) use Streamable HTTP, ${agent.url} and the header below.`,
        `TOKEN=${shellWord(token)}`,
        `${INSPECTOR} --cli ${shellWord(agent.url)} --transport http --header "Authorization: Bearer $TOKEN" --method tools/list "$@"`,
        '',
      ].join('\n'),
    },
    {
      name: 'curl.sh',
      executable: true,
      content: [
        '#!/bin/sh',
        `# ${banner}`,
        '# initialize, tools/list and whoami, as the MCP-in-a-connector reference tests a server (README "Testing with curl").',
        'set -e',
        `TOKEN=${shellWord(token)}`,
        `MCP=${shellWord(agent.url)}`,
        curl('{"jsonrpc":"2.0","method":"initialize","id":1,"params":{"protocolVersion":"2025-11-25","clientInfo":{"name":"curl"}}}'),
        'echo',
        curl('{"jsonrpc":"2.0","method":"tools/list","id":2}'),
        'echo',
        curl('{"jsonrpc":"2.0","method":"tools/call","id":3,"params":{"name":"whoami","arguments":{}}}'),
        'echo',
        '',
      ].join('\n'),
    },
  ];
}

/** The audience and short scope names a dev token for a route needs (as npm run token mints them). */
export function tokenTarget(audiences: readonly string[], requiredScopes: readonly string[], fallbackAudience: string): { audience: string; scopes: string[] } {
  return { audience: audiences[0] ?? fallbackAudience, scopes: requiredScopes.map((s) => s.split('/').pop() ?? s) };
}

/** Writes every agent's files under `dir` (replacing what an earlier run left); returns the folders written. */
export async function writeClientSetups(dir: string, setups: ReadonlyArray<{ agent: ClientAgent; token: string; user: string; expiresAt: Date }>): Promise<string[]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const { agent, token, user, expiresAt } of setups) {
    const folder = join(dir, agent.id);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    for (const file of clientFiles(agent, token, user, expiresAt)) {
      const path = join(folder, file.name);
      await writeFile(path, file.content, { mode: file.executable ? 0o700 : 0o600 });
      await chmod(path, file.executable ? 0o700 : 0o600);
    }
    written.push(folder);
  }
  await writeFile(
    join(dir, 'README.txt'),
    [
      'Client set-up for the local MCP server, one folder per agent. These files contain bearer tokens: keep them to yourself.',
      '  vscode-mcp.json             paste into .vscode/mcp.json (VS Code: MCP: List Servers to start it)',
      '  claude_desktop_config.json  merge into Claude Desktop\'s claude_desktop_config.json (needs npx; uses mcp-remote)',
      '  inspector.sh                MCP Inspector CLI: lists the tools (append --method tools/call --tool-name … to call one)',
      '  curl.sh                     initialize, tools/list and whoami with plain curl',
      'Regenerate (fresh tokens, another user): npm run clients -- [--user bob] [--hours 8]',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return written;
}
