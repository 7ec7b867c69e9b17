import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

import ignore from 'ignore';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/config.js';
import { openTablesClients } from '../../src/sessions/tableStorage.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every project file the compiled Functions entries load: relative imports of functions/*.ts, followed. */
function entryGraph(): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      visit(normalize(join(dirname(file), `${m[1]}.ts`)));
    }
  };
  for (const f of readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'))) visit(`functions/${f}`);
  return seen;
}

describe('publishing to Azure Functions', () => {
  const funcignore = ignore().add(readFileSync(join(ROOT, '.funcignore'), 'utf8'));
  const compiled = (source: string) => `dist/${source.replace(/\.ts$/, '.js')}`;

  it('ships everything the entries import, and none of the sources, tests or the emulator', () => {
    const graph = [...entryGraph()];
    expect(graph).toEqual(expect.arrayContaining(['functions/mcp.ts', 'src/http/handleMcp.ts', 'src/tools/index.ts']));
    const dropped = graph.map(compiled).filter((f) => funcignore.ignores(f));
    expect(dropped).toEqual([]);
    for (const kept of ['host.json', 'package.json', 'agents.json', 'dist/functions/mcp.js']) expect(funcignore.ignores(kept), kept).toBe(false);
    for (const left of ['src/http/handleMcp.ts', 'functions/mcp.ts', 'test/tools/sales.test.ts', 'dist/src/emulator/index.js', 'dist/src/dev/start.js', 'dist/scripts/token.js', 'local.settings.json', 'data/idp/signing-key.json', 'dist/src/http/handleMcp.js.map']) {
      expect(funcignore.ignores(left), left).toBe(true);
    }
  });

  it('nothing the Functions entries load reaches the emulator or the dev host', () => {
    const onPath = [...entryGraph()].filter((f) => f.startsWith('src/emulator/') || f.startsWith('src/dev/'));
    expect(onPath).toEqual([]);
  });
});

describe('local.settings.sample.json', () => {
  const sample = JSON.parse(readFileSync(join(ROOT, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
  // What a user fills in: the placeholders replaced by values of the right shape.
  const filled = Object.fromEntries(
    Object.entries(sample.Values).map(([k, v]) => [
      k,
      v
        .replace('<your-tenant-id>', '3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b')
        .replace(/<mcp-server-app-client-id>/g, 'd1a7a5e0-6d3b-4c1e-9f0a-5e7c0de0c11e')
        .replace('<client-secret-for-on-behalf-of>', 'secret')
        .replace('<org>', 'contoso')
        .replace(/<32\+ random characters[^>]*>/, 'x'.repeat(40)),
    ]),
  );

  it('loads as the server configuration once the placeholders are filled', () => {
    expect(Object.values(filled).join(' ')).not.toMatch(/[<>]/);
    const config = loadConfig({ ...filled, AGENTS_FILE: join(ROOT, 'agents.json') });
    expect(config.dataverse.url).toBe('https://contoso.crm.dynamics.com');
    expect(config.auth.obo?.kind).toBe('secret');
    expect(relative(ROOT, join(ROOT, 'agents.json'))).toBe('agents.json');
  });

  it('points Table Storage and the Functions host at the Azurite that `npm run azurite` starts (its default ports)', () => {
    expect(sample.Values['AzureWebJobsStorage']).toBe('UseDevelopmentStorage=true');
    expect(sample.Values['TABLES_CONNECTION_STRING']).toBe('UseDevelopmentStorage=true');
    const clients = openTablesClients('UseDevelopmentStorage=true', 'mcp');
    expect(new URL(clients.sessions.url).host).toBe('127.0.0.1:10002');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // Blob and queue too: the Functions host keeps its own state in AzureWebJobsStorage.
    expect(pkg.scripts['azurite']).toMatch(/^azurite /);
    expect(pkg.scripts['azurite']).not.toMatch(/--(blob|queue|table)Port/);
  });
});
