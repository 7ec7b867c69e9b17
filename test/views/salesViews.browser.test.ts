import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { BROWSER_AVAILABLE, contrastProblems, type HostedView, hostView, launchChromium, SCREENSHOTS } from './browserHost.js';

const ROOT = join(import.meta.dirname, '..', '..');
const shot = async (h: HostedView, name: string) => {
  await h.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  if (process.env['UPDATE_SCREENSHOTS']) await copyFile(join(SCREENSHOTS, `${name}.png`), join(ROOT, 'docs', 'screenshots', `${name}.png`));
};
type Data = Record<string, unknown>;

/** The lead card, the account briefing and the opportunity's quotes in Chromium, on the CX sales agent as alice. */
describe.skipIf(!BROWSER_AVAILABLE)('sales views in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let client: Client;
  const call = async (name: string, args: Data) => ((await client.callTool({ name, arguments: args })) as { structuredContent: Data }).structuredContent;
  const confirmed = async (name: string, args: Data) => {
    const first = await call(name, args);
    return call(name, { ...args, confirmationHandle: (first['confirmation'] as { handle: string }).handle });
  };

  beforeAll(async () => {
    server = await startTestServer({ emulator: true });
    browser = await launchChromium();
    client = new Client({ name: 'arrange', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl('sales-cx')), { requestInit: { headers: { Authorization: `Bearer ${await server.token('alice')}` } } }));
  }, 90_000);
  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await server?.close();
  });

  it('the lead card shows the grounded summary, drafts outreach and qualifies after the preview', async () => {
    const leadId = ((await call('D365_Sales_ListLeads', { top: 1 }))['leads'] as Array<{ leadId: string }>)[0]!.leadId;
    const h = await hostView(server, browser, { agent: 'sales-cx', user: 'alice', tool: 'get_lead_summary', args: { leadId }, uri: 'ui://dataverse-mcp/lead-card.html' });
    try {
      const nextStep = h.result.structuredContent['nextStep'] as string;
      const grounding = (h.result.structuredContent['grounding'] as Array<{ text: string; fields: string[] }>).filter((g) => !g.text.endsWith(nextStep));
      await expect.poll(() => h.view().locator('ul[aria-label="Summary, sentence by sentence"] li').count()).toBe(grounding.length);
      expect(await h.view().getByRole('heading', { name: 'Next step' }).count()).toBe(1);
      expect(await h.view().locator('li').first().getAttribute('title')).toBe(`From ${grounding[0]!.fields.join(', ')}`);
      await h.view().getByRole('button', { name: 'Draft outreach' }).click();
      await expect.poll(() => h.view().getByRole('status').innerText()).toBe('Draft ready: nothing was sent.');
      expect(await h.view().getByLabel('Message').inputValue()).not.toBe('');
      expect(await contrastProblems(h)).toEqual([]);
      await shot(h, 'lead-card');
      await h.view().getByRole('button', { name: 'Qualify' }).click();
      await h.view().getByRole('button', { name: /^Confirm: / }).click();
      await expect.poll(() => h.view().getByRole('status').innerText()).toBe('The lead was qualified.');
      expect(h.calls.map((c) => c.name)).toEqual(['D365_Sales_DraftOutreachEmail', 'qualify_lead', 'qualify_lead']);
    } finally {
      await h.close();
    }
  });

  it('the account briefing lists opportunities, contacts and cases, and opens an opportunity', async () => {
    const opp = ((await call('list_entity_records', { entityLogicalName: 'opportunity', filters: [{ column: 'statecode', value: '0' }], columns: ['name', 'parentaccountid'], orderBy: 'name', top: 1 }))['records'] as Array<{ fields: Data }>)[0]!;
    const accountId = (opp.fields['parentaccountid'] as { id: string }).id;
    const h = await hostView(server, browser, { agent: 'sales-cx', user: 'alice', tool: 'get_account_summary', args: { accountId }, uri: 'ui://dataverse-mcp/account-briefing.html', theme: 'dark' });
    try {
      const briefing = h.result.structuredContent as { account: { name: string }; openOpportunities: Array<{ opportunityId: string; name: string }> };
      await expect.poll(() => h.view().locator('h1').innerText()).toBe(briefing.account.name);
      for (const heading of [/^Open opportunities \(\d+\)$/, /^Contacts \(\d+\)$/, /^Child accounts \(\d+\)$/]) expect(await h.view().getByRole('heading', { name: heading }).count()).toBe(1);
      expect(await contrastProblems(h)).toEqual([]);
      await shot(h, 'account-briefing');
      const first = briefing.openOpportunities[0]!;
      await h.view().getByRole('button', { name: `Open ${first.name}` }).click();
      await expect.poll(() => h.calls.length).toBe(1);
      expect(h.calls[0]).toEqual({ name: 'get_opportunity_summary', args: { opportunityId: first.opportunityId } });
    } finally {
      await h.close();
    }
  });

  it("the opportunity's quotes: create, activate and convert to an order through the host, each after the preview", async () => {
    const opportunityId = ((await call('list_entity_records', { entityLogicalName: 'opportunity', filters: [{ column: 'statecode', value: '0' }], columns: ['name'], orderBy: 'name', descending: true, top: 1 }))['records'] as Array<{ id: string }>)[0]!.id;
    const productId = ((await call('list_entity_records', { entityLogicalName: 'product', filters: [{ column: 'statecode', value: '0' }], columns: ['name'], orderBy: 'name', top: 1 }))['records'] as Array<{ id: string }>)[0]!.id;
    await confirmed('add_opportunity_product', { opportunityId, productId, quantity: 2 });
    const h = await hostView(server, browser, { agent: 'sales-cx', user: 'alice', tool: 'get_opportunity_summary', args: { opportunityId }, uri: 'ui://dataverse-mcp/opportunity-quote.html', locale: 'fr-FR' });
    try {
      const confirm = async (button: string | RegExp, done: RegExp) => {
        await h.view().getByRole('button', { name: button }).click();
        await h.view().getByRole('button', { name: /^Confirm: / }).click();
        await expect.poll(() => h.view().getByRole('status').innerText()).toMatch(done);
      };
      // Amounts in the org's base currency (USD), written as the host's locale writes them.
      const line = (h.result.structuredContent['lines'] as Array<{ extendedAmount: number }>)[0]!;
      const amount = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'USD' }).format(line.extendedAmount);
      await expect.poll(() => h.view().locator('tbody tr td:nth-child(4)').first().innerText()).toBe(amount);
      await confirm('Create quote', /^A draft quote was created/);
      await confirm(/^Activate /, / is active\.$/);
      await shot(h, 'opportunity-quote');
      await confirm(/^Convert .* to an order$/, / became an order\.$/);
      // The view refreshes the summary after it shows the outcome: wait for that last call too.
      await expect.poll(() => h.calls.map((c) => c.name)).toEqual(['create_quote_from_opportunity', 'create_quote_from_opportunity', 'get_opportunity_summary', 'set_quote_active', 'set_quote_active', 'get_opportunity_summary', 'convert_quote_to_order', 'convert_quote_to_order', 'get_opportunity_summary']);
      const quotes = (await call('get_opportunity_summary', { opportunityId }))['quotes'] as Array<{ stateCode: number }>;
      expect(quotes.map((q) => q.stateCode)).toContain(2);
    } finally {
      await h.close();
    }
  });
});
