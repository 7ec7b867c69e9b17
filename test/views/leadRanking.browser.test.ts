import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { BROWSER_AVAILABLE, contrastProblems, type HostedView, hostView, launchChromium, SCREENSHOTS } from './browserHost.js';

const ROOT = join(import.meta.dirname, '..', '..');
type Ranking = { ranked: Array<{ leadId: string; fullName: string }>; dataAsOf: string };

/** The lead ranking view in Chromium, fed a real ranking, its clicks forwarded to the server. */
describe.skipIf(!BROWSER_AVAILABLE)('lead ranking view in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let h: HostedView;
  let ranking: Ranking;

  beforeAll(async () => {
    server = await startTestServer({ emulator: true });
    browser = await launchChromium();
    h = await hostView(server, browser, { agent: 'sales', user: 'alice', tool: 'D365_Sales_PrioritizeLeads', args: { createdWithinDays: 30, top: 8 }, uri: 'ui://dataverse-mcp/lead-ranking.html', theme: 'dark', locale: 'de-DE', timeZone: 'Europe/Berlin' });
    ranking = h.result.structuredContent as Ranking;
    expect(ranking.ranked.length).toBeGreaterThan(2);
  }, 90_000);

  afterAll(async () => {
    await h?.close();
    await browser?.close();
    await server?.close();
  });

  it('renders the ranking in the host theme and locale, with labelled controls', async () => {
    const rows = h.view().locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(ranking.ranked.length);
    expect(await rows.first().locator('th').innerText()).toContain(ranking.ranked[0]!.fullName);
    expect(await h.view().locator('html').getAttribute('data-theme')).toBe('dark');
    const asOf = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' }).format(new Date(ranking.dataAsOf));
    expect(await h.view().locator('caption').innerText()).toContain(asOf);
    const tree = await h.view().locator('body').ariaSnapshot();
    expect(tree).toContain('table');
    expect(tree).toContain(`button "Qualify ${ranking.ranked[0]!.fullName}"`);
    for (const weight of ['Score', 'Recency', 'Interactions', 'Value']) expect(tree).toContain(`spinbutton "${weight}"`);
    expect(await contrastProblems(h)).toEqual([]);
    await h.page.screenshot({ path: join(SCREENSHOTS, 'lead-ranking.png') });
    if (process.env['UPDATE_SCREENSHOTS']) await copyFile(join(SCREENSHOTS, 'lead-ranking.png'), join(ROOT, 'docs', 'screenshots', 'lead-ranking.png'));
  });

  it('sorts by a column with the keyboard', async () => {
    const header = h.view().locator('button[data-sort="fullName"]');
    await header.focus();
    await header.press('Enter');
    const names = await h.view().locator('tbody tr th span:first-child').allInnerTexts();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' })));
    expect(await h.view().locator('th:has(button[data-sort="fullName"])').getAttribute('aria-sort')).toBe('ascending');
  });

  it('re-ranks with new weights through the host', async () => {
    h.calls.length = 0;
    for (const [factor, value] of [['score', '1'], ['recency', '0'], ['interactions', '0'], ['value', '0']] as const) await h.view().locator(`#w-${factor}`).fill(value);
    await h.view().getByRole('button', { name: 'Re-rank' }).click();
    await expect.poll(() => h.view().getByRole('status').innerText()).toMatch(/Re-ranked \d+ leads/);
    expect(h.calls).toEqual([{ name: 'D365_Sales_PrioritizeLeads', args: expect.objectContaining({ createdWithinDays: 30, weights: { score: 1, recency: 0, interactions: 0, value: 0 } }) }]);
  });

  it('qualifies a lead only after the user confirms the server’s preview', async () => {
    h.calls.length = 0;
    const lead = ranking.ranked[0]!;
    await h.view().getByRole('button', { name: `Qualify ${lead.fullName}` }).click();
    const confirm = h.view().getByRole('button', { name: /^Confirm: / });
    await confirm.waitFor();
    expect(h.calls).toEqual([{ name: 'D365_Sales_QualifyLeadToOpportunity', args: { leadId: lead.leadId } }]);
    // Nothing has changed yet: the lead is still open.
    const before = (await h.client.callTool({ name: 'D365_Sales_ListLeads', arguments: { leadId: lead.leadId } })) as { structuredContent: { leads: Array<{ state?: string }> } };
    expect(before.structuredContent.leads[0]?.state).toBe('Open');
    await confirm.click();
    await expect.poll(() => h.view().getByRole('status').innerText()).toBe(`${lead.fullName} was qualified.`);
    expect(h.calls[1]).toEqual({ name: 'D365_Sales_QualifyLeadToOpportunity', args: { leadId: lead.leadId, confirmationHandle: expect.any(String) } });
    await h.page.screenshot({ path: join(SCREENSHOTS, 'lead-ranking-qualified.png') });
  });
});
