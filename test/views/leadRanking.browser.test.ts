import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';

/**
 * The lead ranking view in a real browser: Debian's Chromium (playwright-core, no browser
 * download) loads the page the server serves in a sandboxed iframe of a small host that speaks the
 * host side of the bridge (views/testing/host.ts, the package's AppBridge). It feeds the view a
 * real ranking from the emulator and forwards the view's tool calls to the server, so a click goes
 * through the server's checks and confirmation as it would in Claude or VS Code.
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'test-output', 'views');
// CI installs Chromium (.ci/run); elsewhere the browser tests need it installed and say so by skipping.
const available = existsSync(CHROMIUM);
if (!available && process.env['CI']) throw new Error(`Chromium is missing at ${CHROMIUM}: .ci/run installs it with apt-get.`);

const URI = 'ui://dataverse-mcp/lead-ranking.html';

interface Call {
  name: string;
  args: Record<string, unknown>;
}

describe.skipIf(!available)('lead ranking view in Chromium', () => {
  let server: TestServer;
  let client: Client;
  let browser: Browser;
  let page: Page;
  let ranking: { structuredContent: { ranked: Array<{ leadId: string; fullName: string }>; dataAsOf: string }; content: unknown[] };
  const calls: Call[] = [];

  beforeAll(async () => {
    server = await startTestServer({ emulator: true });
    client = new Client({ name: 'browser-host', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl('sales')), { requestInit: { headers: { Authorization: `Bearer ${await server.token('alice')}` } } }));
    ranking = (await client.callTool({ name: 'D365_Sales_PrioritizeLeads', arguments: { createdWithinDays: 30, top: 8 } })) as typeof ranking;
    expect(ranking.structuredContent.ranked.length).toBeGreaterThan(2);
    const html = ((await client.readResource({ uri: URI })).contents[0] as { text: string }).text;
    const host = (await build({ entryPoints: [join(ROOT, 'views/testing/host.ts')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'silent' })).outputFiles[0]!.text;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    page.on('console', (m) => { if (process.env['VIEW_DEBUG']) console.log('[page]', m.text()); });
    await page.exposeFunction('hostCallTool', async (name: string, args: Record<string, unknown> | undefined) => {
      calls.push({ name, args: args ?? {} });
      return client.callTool({ name, arguments: args ?? {} });
    });
    await page.setContent(`<!doctype html><html><body><script>${host.replace(/<\/script/g, '<\\/script')}</script></body></html>`);
    await page.evaluate(
      ([view, context]) => (globalThis as unknown as { startHost(h: string, c: unknown): Promise<void> }).startHost(view, context),
      [html, { theme: 'dark', locale: 'de-DE', timeZone: 'Europe/Berlin', toolInfo: { tool: { name: 'D365_Sales_PrioritizeLeads', inputSchema: { type: 'object' } } } }] as const,
    );
    await page.evaluate((result) => (globalThis as unknown as { sendResult(r: unknown): Promise<void> }).sendResult(result), ranking);
    await mkdir(OUT, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await client?.close();
    await server?.close();
  });

  const view = () => page.frameLocator('iframe');

  it('renders the ranking in the host theme and locale, with labelled controls', async () => {
    const rows = view().locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(ranking.structuredContent.ranked.length);
    expect(await rows.first().locator('th').innerText()).toContain(ranking.structuredContent.ranked[0]!.fullName);
    expect(await view().locator('html').getAttribute('data-theme')).toBe('dark');
    const asOf = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' }).format(new Date(ranking.structuredContent.dataAsOf));
    expect(await view().locator('caption').innerText()).toContain(asOf);
    const tree = await view().locator('body').ariaSnapshot();
    expect(tree).toContain('table');
    expect(tree).toContain(`button "Qualify ${ranking.structuredContent.ranked[0]!.fullName}"`);
    for (const weight of ['Score', 'Recency', 'Interactions', 'Value']) expect(tree).toContain(`spinbutton "${weight}"`);
    await page.screenshot({ path: join(OUT, 'lead-ranking.png') });
    if (process.env['UPDATE_SCREENSHOTS']) await copyFile(join(OUT, 'lead-ranking.png'), join(ROOT, 'docs', 'screenshots', 'lead-ranking.png'));
  });

  it('sorts by a column with the keyboard', async () => {
    const header = view().locator('button[data-sort="fullName"]');
    await header.focus();
    await header.press('Enter');
    const names = await view().locator('tbody tr th span:first-child').allInnerTexts();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' })));
    expect(await view().locator('th:has(button[data-sort="fullName"])').getAttribute('aria-sort')).toBe('ascending');
  });

  it('re-ranks with new weights through the host', async () => {
    calls.length = 0;
    for (const [factor, value] of [['score', '1'], ['recency', '0'], ['interactions', '0'], ['value', '0']] as const) await view().locator(`#w-${factor}`).fill(value);
    await view().getByRole('button', { name: 'Re-rank' }).click();
    await expect.poll(() => view().getByRole('status').innerText()).toMatch(/Re-ranked \d+ leads/);
    expect(calls).toEqual([{ name: 'D365_Sales_PrioritizeLeads', args: expect.objectContaining({ createdWithinDays: 30, weights: { score: 1, recency: 0, interactions: 0, value: 0 } }) }]);
  });

  it('qualifies a lead only after the user confirms the server’s preview', async () => {
    calls.length = 0;
    const lead = ranking.structuredContent.ranked[0]!;
    await view().getByRole('button', { name: `Qualify ${lead.fullName}` }).click();
    const confirm = view().getByRole('button', { name: /^Confirm: / });
    await confirm.waitFor();
    expect(calls).toEqual([{ name: 'D365_Sales_QualifyLeadToOpportunity', args: { leadId: lead.leadId } }]);
    // Nothing has changed yet: the lead is still open.
    const before = (await client.callTool({ name: 'D365_Sales_ListLeads', arguments: { leadId: lead.leadId } })) as { structuredContent: { leads: Array<{ state?: string }> } };
    expect(before.structuredContent.leads[0]?.state).toBe('Open');
    await confirm.click();
    await expect.poll(() => view().getByRole('status').innerText()).toBe(`${lead.fullName} was qualified.`);
    expect(calls[1]).toEqual({ name: 'D365_Sales_QualifyLeadToOpportunity', args: { leadId: lead.leadId, confirmationHandle: expect.any(String) } });
    await page.screenshot({ path: join(OUT, 'lead-ranking-qualified.png') });
  });
});
