/**
 * The quote for an opportunity (get_opportunity_summary): its product lines and totals, and its
 * quotes with their state; through the host: "Create quote" from the opportunity, "Activate" a
 * draft, "Convert to order" an active one, each after the server's preview and the user's Confirm.
 * Which buttons a quote gets is decided on its state number, never on the label.
 */
import { CHIP_CSS, confirmThroughHost, el, formatDate, formatMoney, formatNumber, page, resultText, startView, viewConfig, type ViewHandle } from './kit.js';

const QUOTE_DRAFT = 0;
const QUOTE_ACTIVE = 1;

interface Summary {
  opportunity: { opportunityId: string; name: string; state: string; estimatedRevenue?: number; totalAmount?: number; estimatedCloseDate?: string; customer?: { name: string }; priceList?: { name: string } };
  lines: Array<{ product: string; quantity: number; pricePerUnit?: number; extendedAmount?: number; unit?: string }>;
  quotes: Array<{ quoteId: string; name: string; quoteNumber: string; revision: number; state: string; stateCode: number; totalAmount?: number }>;
}

const config = viewConfig<{ createQuoteTool?: string; activateTool?: string; convertTool?: string; summaryTool?: string }>();
const { main, status } = page('Opportunity', CHIP_CSS);

function table(caption: string, headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<Node | string>>, numeric: ReadonlySet<number>): HTMLTableElement {
  const t = el('table');
  t.append(el('caption', {}, caption));
  const head = el('tr');
  headers.forEach((h, i) => head.append(el('th', { scope: 'col', ...(numeric.has(i) && { class: 'num' }) }, h)));
  t.append(el('thead', {}, head));
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((c, i) => tr.append(i === 0 ? el('th', { scope: 'row' }, c) : el('td', { ...(numeric.has(i) && { class: 'num' }) }, c)));
    body.append(tr);
  }
  t.append(body);
  return t;
}

/** After a write, the summary is read again through the host so the page shows what is stored. */
function refresh(view: ViewHandle, opportunityId: string, message: string): void {
  status.textContent = message;
  if (!config.summaryTool) return;
  void view.app.callServerTool({ name: config.summaryTool, arguments: { opportunityId } }).then((r) => {
    const data = r.structuredContent as Summary | undefined;
    if (data?.opportunity) render(data, view);
    status.textContent = message;
  });
}

function render(s: Summary, view: ViewHandle): void {
  const o = s.opportunity;
  main.replaceChildren(el('h1', { id: 'title' }, o.name));
  const facts = el('dl');
  for (const [k, v] of [
    ['Customer', o.customer?.name],
    ['State', o.state],
    ['Estimated revenue', o.estimatedRevenue === undefined ? undefined : formatMoney(o.estimatedRevenue, view)],
    ['Expected close', o.estimatedCloseDate ? formatDate(o.estimatedCloseDate, view) : undefined],
    ['Price list', o.priceList?.name],
  ] as const) if (v) facts.append(el('dt', {}, k), el('dd', {}, v));
  main.append(facts);
  // The opportunity's total is Dataverse's (CalculatePrice); until it has one, the lines' sum is shown as such.
  const linesTotal = s.lines.reduce((sum, l) => sum + (l.extendedAmount ?? 0), 0);
  const total = o.totalAmount !== undefined ? `total ${formatMoney(o.totalAmount, view)}` : `lines total ${formatMoney(linesTotal, view)}`;
  main.append(table(`${s.lines.length} product line(s); ${total}.`, ['Product', 'Quantity', 'Price per unit', 'Amount'], s.lines.map((l) => [l.product, `${formatNumber(l.quantity, view, 2)}${l.unit ? ` ${l.unit}` : ''}`, formatMoney(l.pricePerUnit, view), formatMoney(l.extendedAmount, view)]), new Set([1, 2, 3])));
  const quoteRows = s.quotes.map((q) => {
    const actions = el('span', { class: 'actions' });
    if (q.stateCode === QUOTE_DRAFT && config.activateTool) {
      const tool = config.activateTool;
      const b = el('button', { type: 'button', class: 'action', 'aria-label': `Activate ${q.quoteNumber}` }, 'Activate');
      b.addEventListener('click', () => void confirmThroughHost(view, status, tool, { quoteId: q.quoteId }, b, (d) => refresh(view, o.opportunityId, ok(d) ? `${q.quoteNumber} is active.` : resultText(d))));
      actions.append(b);
    }
    if (q.stateCode === QUOTE_ACTIVE && config.convertTool) {
      const tool = config.convertTool;
      const b = el('button', { type: 'button', class: 'action', 'aria-label': `Convert ${q.quoteNumber} to an order` }, 'Convert to order');
      b.addEventListener('click', () => void confirmThroughHost(view, status, tool, { quoteId: q.quoteId }, b, (d) => refresh(view, o.opportunityId, ok(d) ? `${q.quoteNumber} became an order.` : resultText(d))));
      actions.append(b);
    }
    return [`${q.quoteNumber} rev. ${q.revision}`, q.state, formatMoney(q.totalAmount, view), actions];
  });
  main.append(table(`${s.quotes.length} quote(s).`, ['Quote', 'State', 'Total', 'Action'], quoteRows, new Set([2])));
  if (config.createQuoteTool) {
    const tool = config.createQuoteTool;
    const create = el('button', { type: 'button', class: 'action' }, 'Create quote');
    create.addEventListener('click', () => void confirmThroughHost(view, status, tool, { opportunityId: o.opportunityId }, create, (d) => refresh(view, o.opportunityId, ok(d) ? 'A draft quote was created from the opportunity.' : resultText(d))));
    main.append(el('div', { class: 'actions', role: 'group', 'aria-label': 'Quote actions' }, create));
  }
}

const ok = (r: { structuredContent?: Record<string, unknown> }) => (r.structuredContent as { status?: string } | undefined)?.status === 'completed';

void startView('opportunity-quote', (result, view) => {
  const data = result.structuredContent as Summary | undefined;
  if (!data?.opportunity) {
    status.textContent = resultText(result) || 'This result has no opportunity to show.';
    return;
  }
  render(data, view);
});
