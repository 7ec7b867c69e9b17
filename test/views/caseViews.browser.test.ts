import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { BROWSER_AVAILABLE, contrastProblems, type HostedView, hostView, launchChromium, SCREENSHOTS } from './browserHost.js';

const ROOT = join(import.meta.dirname, '..', '..');
const shot = async (h: HostedView, name: string) => {
  await h.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  if (process.env['UPDATE_SCREENSHOTS']) await copyFile(join(SCREENSHOTS, `${name}.png`), join(ROOT, 'docs', 'screenshots', `${name}.png`));
};

/** The case list and the case card in Chromium on the CX service agent, as bob (a service rep). */
describe.skipIf(!BROWSER_AVAILABLE)('case views in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ emulator: true });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the case list filters by priority and by SLA state through the host, and opens a case', async () => {
    const h = await hostView(server, browser, { agent: 'service-cx', user: 'bob', tool: 'list_cases', args: { top: 10 }, uri: 'ui://dataverse-mcp/case-list.html' });
    try {
      const rows = h.view().locator('tbody tr');
      await expect.poll(() => rows.count()).toBe((h.result.structuredContent['cases'] as unknown[]).length);
      await h.view().getByLabel('Priority').selectOption('high');
      await h.view().getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(() => h.view().getByRole('status').innerText()).toMatch(/^Listed cases/);
      expect(h.calls).toEqual([{ name: 'list_cases', args: { state: 'active', priority: 'high' } }]);
      const priorities = await h.view().locator('tbody tr td:nth-child(3)').allInnerTexts();
      expect(priorities.length).toBeGreaterThan(0);
      expect(new Set(priorities)).toEqual(new Set(['High']));

      await h.view().getByLabel('SLA state').selectOption('at_risk');
      await h.view().getByRole('button', { name: 'Find by SLA' }).click();
      await expect.poll(() => h.view().getByRole('status').innerText()).toBe('Cases with SLA at risk.');
      expect(h.calls[1]).toEqual({ name: 'query_cases_by_sla_status', args: { status: 'at_risk' } });
      expect(await h.view().locator('tbody tr').first().locator('.chip').count()).toBeGreaterThan(0);
      const tree = await h.view().locator('body').ariaSnapshot();
      for (const label of ['combobox "State"', 'combobox "Priority"', 'searchbox "Search"', 'combobox "SLA state"']) expect(tree).toContain(label);
      expect(await contrastProblems(h)).toEqual([]);
      await shot(h, 'case-list');

      const first = h.view().locator('tbody tr').first();
      const caseId = await first.getAttribute('data-case');
      await first.getByRole('button', { name: /^Open / }).click();
      await expect.poll(() => h.calls.length).toBe(3);
      expect(h.calls[2]).toEqual({ name: 'get_case', args: { incidentId: caseId } });
    } finally {
      await h.close();
    }
  });

  it('the case card shows SLA, notes and emails, saves a reply draft and resolves the case, each after the server’s preview', async () => {
    const probe = await hostView(server, browser, { agent: 'service-cx', user: 'bob', tool: 'query_cases_by_sla_status', args: { status: 'at_risk', top: 1 }, uri: 'ui://dataverse-mcp/case-list.html' });
    const caseId = (probe.result.structuredContent['cases'] as Array<{ caseId: string }>)[0]!.caseId;
    await probe.close();
    const h = await hostView(server, browser, { agent: 'service-cx', user: 'bob', tool: 'get_case', args: { incidentId: caseId }, uri: 'ui://dataverse-mcp/case-card.html', theme: 'light', locale: 'en-GB' });
    try {
      const card = h.result.structuredContent as { case: { title: string; ticketNumber: string } };
      await expect.poll(() => h.view().locator('h1').innerText()).toContain(card.case.title);
      expect(await h.view().locator('section[aria-labelledby="sla-h"] .chip').count()).toBeGreaterThan(0);
      for (const heading of ['SLA', 'Latest notes', 'Latest emails']) expect(await h.view().getByRole('heading', { name: heading }).count()).toBe(1);
      expect(await contrastProblems(h)).toEqual([]);
      await shot(h, 'case-card');

      await h.view().getByRole('button', { name: 'Reply' }).click();
      await h.view().getByLabel('Message').waitFor();
      expect(h.calls[0]).toEqual({ name: 'D365_CustomerService_DraftEmailResponse', args: { caseId } });
      expect(await h.view().getByLabel('Message').inputValue()).not.toBe('');
      await h.view().getByRole('button', { name: 'Save as draft' }).click();
      await h.view().getByRole('button', { name: /^Confirm: / }).click();
      await expect.poll(() => h.view().getByRole('status').innerText()).toBe('The reply was saved as a draft on the case.');
      expect(h.calls.map((c) => c.name)).toEqual(['D365_CustomerService_DraftEmailResponse', 'draft_email', 'draft_email']);
      expect(h.calls[2]!.args['confirmationHandle']).toEqual(expect.any(String));

      await h.view().getByRole('button', { name: 'Resolve' }).click();
      await expect.poll(() => h.view().getByRole('status').innerText()).toBe('Say how the case was resolved first.');
      await h.view().getByLabel('Resolution').fill('Replaced the faulty part');
      await h.view().getByRole('button', { name: 'Resolve' }).click();
      const confirm = h.view().getByRole('button', { name: /^Confirm: / });
      await confirm.waitFor();
      expect(h.calls.at(-1)).toEqual({ name: 'close_case', args: { incidentId: caseId, closeAs: 'resolved', resolution: 'Replaced the faulty part' } });
      await confirm.click();
      await expect.poll(() => h.view().getByRole('status').innerText()).toBe(`${card.case.ticketNumber} was resolved.`);
      const after = (await h.client.callTool({ name: 'get_case', arguments: { incidentId: caseId } })) as { structuredContent: { case: { state: string } } };
      expect(after.structuredContent.case.state).toBe('Resolved');
    } finally {
      await h.close();
    }
  });
});
