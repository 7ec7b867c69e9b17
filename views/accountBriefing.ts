/**
 * The account briefing (get_account_summary / summarize_account): who the account is, its
 * contacts, open opportunities (with their value in the host's locale), open cases and child
 * accounts, and the grounded brief. "Open" on an opportunity asks the host for its summary.
 */
import { CHIP_CSS, callThroughHost, el, formatDate, formatMoney, page, resultText, startView, viewConfig, type ViewHandle } from './kit.js';

interface Briefing {
  account: { accountId: string; name: string; industry?: string; owner?: string; primaryContact?: string; parentAccount?: string };
  contacts: Array<{ contactId: string; fullName: string; jobTitle?: string }>;
  openOpportunities: Array<{ opportunityId: string; name: string; estimatedRevenue?: number; estimatedCloseDate?: string }>;
  openCases: Array<{ caseId: string; title: string; priority?: string }>;
  childAccounts: Array<{ accountId: string; name: string }>;
  summary: string;
  source: string;
}

const config = viewConfig<{ opportunityTool?: string }>();
const { main, status } = page('Account', CHIP_CSS);

function list<T>(id: string, heading: string, items: readonly T[], item: (t: T) => Array<Node | string>): HTMLElement {
  const ul = el('ul', { class: 'plain' });
  for (const t of items) ul.append(el('li', {}, ...item(t)));
  return el('section', { 'aria-labelledby': id }, el('h2', { id }, `${heading} (${items.length})`), items.length ? ul : el('p', { class: 'muted' }, 'None.'));
}

function render(b: Briefing, view: ViewHandle): void {
  const a = b.account;
  main.replaceChildren(el('h1', { id: 'title' }, a.name));
  const facts = el('dl');
  for (const [k, v] of [['Industry', a.industry], ['Owner', a.owner], ['Primary contact', a.primaryContact], ['Part of', a.parentAccount]] as const) if (v) facts.append(el('dt', {}, k), el('dd', {}, v));
  main.append(facts, el('section', { 'aria-labelledby': 'b-h' }, el('h2', { id: 'b-h' }, 'Brief'), el('p', {}, b.summary), el('p', { class: 'muted' }, `Written by ${b.source}.`)));
  main.append(
    list('o-h', 'Open opportunities', b.openOpportunities, (o) => {
      const parts: Array<Node | string> = [el('strong', {}, o.name), ` ${formatMoney(o.estimatedRevenue, view)}`, o.estimatedCloseDate ? `, closing ${formatDate(o.estimatedCloseDate, view)}` : ''];
      if (config.opportunityTool) {
        const tool = config.opportunityTool;
        const open = el('button', { type: 'button', class: 'action', 'aria-label': `Open ${o.name}` }, 'Open');
        open.addEventListener('click', () => void callThroughHost(view, status, tool, { opportunityId: o.opportunityId }, open, (r) => (status.textContent = resultText(r).split('\n')[0] ?? '')));
        parts.push(' ', open);
      }
      return parts;
    }),
    list('c-h', 'Contacts', b.contacts, (c) => [c.fullName, c.jobTitle ? el('span', { class: 'muted' }, `, ${c.jobTitle}`) : '']),
    list('k-h', 'Open cases', b.openCases, (c) => [c.title, c.priority ? el('span', { class: c.priority === 'High' ? 'hot' : 'muted' }, ` (${c.priority})`) : '']),
    list('s-h', 'Child accounts', b.childAccounts, (c) => [c.name]),
  );
}

void startView('account-briefing', (result, view) => {
  const data = result.structuredContent as Briefing | undefined;
  if (!data?.account) {
    status.textContent = resultText(result) || 'This result has no account to show.';
    return;
  }
  render(data, view);
});
