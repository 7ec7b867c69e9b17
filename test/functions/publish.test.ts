import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

import ignore from 'ignore';
import { describe, expect, it } from 'vitest';

import { loadConfig, PLATFORM_SETTINGS, SETTING_NAMES } from '../../src/config/config.js';
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

  it('ships the bundle and the files the host reads, and none of the sources, tests, tsc output or dev host', () => {
    // The bundle's own contents are checked in bundle.test.ts; here: which paths a publish keeps.
    for (const kept of ['host.json', 'package.json', 'package-lock.json', 'agents.json', 'dist/bundle/mcp.js', 'dist/bundle/sweep.js', 'dist/bundle/chunks/chunk-ABCDEF12.js', 'dist/views/lead-ranking.html']) {
      expect(funcignore.ignores(kept), kept).toBe(false);
    }
    for (const left of [
      'src/http/handleMcp.ts',
      'functions/mcp.ts',
      'test/tools/sales.test.ts',
      'dist/functions/mcp.js',
      'dist/src/http/handleMcp.js',
      'dist/src/emulator/index.js',
      'dist/src/dev/start.js',
      'dist/scripts/token.js',
      'views/leadRanking.ts',
      'views/tsconfig.json',
      'dist/bundle/meta.json',
      'dist/bundle/chunks/chunk-ABCDEF12.js.map',
      'dist/tsconfig.build.tsbuildinfo',
      'node_modules/applicationinsights/package.json',
      'local.settings.json',
      'data/idp/signing-key.json',
      'infra/main.bicep',
      'azure.yaml',
    ]) {
      expect(funcignore.ignores(left), left).toBe(true);
    }
  });

  it('host.json: empty route prefix, sampling that keeps every request and dependency, a timeout above the longest tool call', () => {
    const host = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as {
      extensions: { http: { routePrefix: string } };
      functionTimeout: string;
      logging: { applicationInsights: { samplingSettings: { excludedTypes: string } } };
    };
    expect(host.extensions.http.routePrefix).toBe('');
    const excluded = host.logging.applicationInsights.samplingSettings.excludedTypes.split(';');
    expect(excluded).toEqual(expect.arrayContaining(['Request', 'Dependency']));
    const [h, m, sec] = host.functionTimeout.split(':').map(Number);
    const timeoutSeconds = h! * 3600 + m! * 60 + sec!;
    // The longest tool call (TOOL_TIMEOUT_SECONDS at its maximum, 200 s) must end before the host gives up on it.
    expect(timeoutSeconds).toBeGreaterThan(200);
  });

  it('nothing the Functions entries load reaches the emulator or the dev host', () => {
    const graph = [...entryGraph()];
    expect(graph).toEqual(expect.arrayContaining(['functions/mcp.ts', 'src/http/handleMcp.ts', 'src/tools/index.ts']));
    expect(graph.filter((f) => f.startsWith('src/emulator/') || f.startsWith('src/dev/'))).toEqual([]);
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

  it('lists every setting the server reads (platform-provided ones aside), and only those', () => {
    const listed = Object.keys(sample.Values).filter((k) => k !== 'FUNCTIONS_WORKER_RUNTIME' && k !== 'AzureWebJobsStorage');
    const expected = SETTING_NAMES.filter((n) => !PLATFORM_SETTINGS.includes(n));
    expect([...listed].sort()).toEqual([...expected].sort());
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
