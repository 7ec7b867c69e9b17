/**
 * The case list (D365_CustomerService_ListCases / list_cases, and query_cases_by_sla_status): the
 * cases with priority, state, customer and, where the tool returns them, their SLA KPIs; filters
 * (state, priority, text, or SLA state) re-query through the host; "Open" asks the host for the
 * case card (get_case), whose result the host shows in the case card view.
 */
import { CHIP_CSS, callThroughHost, el, formatDate, kpiChip, type KpiView, page, resultText, startView, viewConfig, type ViewHandle } from './kit.js';

interface CaseRow {
  caseId: string;
  ticketNumber?: string;
  title: string;
  customer?: { name: string };
  priority?: string;
  state?: string;
  statusReason?: string;
  createdOn?: string;
  owner?: string;
  sla?: KpiView[];
}

const config = viewConfig<{ listTool?: string; slaTool?: string; caseTool?: string }>();
const { main, status } = page('Cases', CHIP_CSS);
let last: { cases: CaseRow[]; totalCount?: number } | undefined;

function filters(view: ViewHandle): HTMLElement {
  const set = el('fieldset');
  set.append(el('legend', {}, 'Filters'));
  if (config.listTool) {
    const tool = config.listTool;
    const state = el('select', { id: 'f-state' });
    for (const v of ['active', 'resolved', 'cancelled', 'all']) state.append(el('option', { value: v }, v));
    const priority = el('select', { id: 'f-priority' });
    for (const v of ['', 'high', 'normal', 'low']) priority.append(el('option', { value: v }, v || 'any'));
    const search = el('input', { type: 'search', id: 'f-search', placeholder: 'Title or CAS-…' });
    const apply = el('button', { type: 'button', class: 'action' }, 'Apply filters');
    set.append(el('label', { for: 'f-state' }, 'State', state), el('label', { for: 'f-priority' }, 'Priority', priority), el('label', { for: 'f-search' }, 'Search', search), apply);
    const run = () =>
      void callThroughHost(view, status, tool, { state: state.value, ...(priority.value && { priority: priority.value }), ...(search.value.trim() && { search: search.value.trim() }) }, apply, (r) => show(r.structuredContent as typeof last, view, `Listed cases: ${resultText(r).split('\n')[0]}`));
    apply.addEventListener('click', run);
    search.addEventListener('keydown', (e) => e.key === 'Enter' && run());
  }
  if (config.slaTool) {
    const tool = config.slaTool;
    const sla = el('select', { id: 'f-sla' });
    for (const v of ['at_risk', 'nearing_noncompliance', 'noncompliant', 'in_progress', 'succeeded']) sla.append(el('option', { value: v }, v.replace(/_/g, ' ')));
    const find = el('button', { type: 'button', class: 'action' }, 'Find by SLA');
    set.append(el('label', { for: 'f-sla' }, 'SLA state', sla), find);
    find.addEventListener('click', () => void callThroughHost(view, status, tool, { status: sla.value }, find, (r) => show(r.structuredContent as typeof last, view, `Cases with SLA ${sla.value.replace(/_/g, ' ')}.`)));
  }
  return set;
}

function show(data: typeof last, view: ViewHandle, message?: string): void {
  if (!data?.cases) return;
  last = data;
  const keep = main.querySelector('fieldset');
  main.replaceChildren(el('h1', { id: 'title' }, 'Cases'), keep ?? filters(view));
  const table = el('table');
  table.append(el('caption', {}, `${data.cases.length} case(s)${data.totalCount !== undefined ? ` of ${data.totalCount}` : ''}.`));
  const head = el('tr');
  for (const h of ['Case', 'Customer', 'Priority', 'State', 'SLA', 'Created', 'Action']) head.append(el('th', { scope: 'col' }, h));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  for (const c of data.cases) {
    const tr = el('tr', { 'data-case': c.caseId });
    const sla = el('td');
    if (c.sla?.length) for (const k of c.sla) sla.append(kpiChip(k, view));
    else sla.append(el('span', { class: 'muted' }, '—'));
    tr.append(
      el('th', { scope: 'row' }, el('span', {}, c.title), el('br'), el('span', { class: 'muted' }, c.ticketNumber ?? '')),
      el('td', {}, c.customer?.name ?? '—'),
      el('td', {}, ...(c.priority === 'High' ? [el('span', { class: 'hot' }, c.priority)] : [c.priority ?? '—'])),
      el('td', {}, `${c.state ?? ''}${c.statusReason ? ` (${c.statusReason})` : ''}`),
      sla,
      el('td', {}, formatDate(c.createdOn, view)),
    );
    const cell = el('td');
    if (config.caseTool) {
      const tool = config.caseTool;
      const open = el('button', { type: 'button', class: 'action', 'aria-label': `Open ${c.ticketNumber ?? c.title}` }, 'Open');
      open.addEventListener('click', () => void callThroughHost(view, status, tool, { incidentId: c.caseId }, open, (r) => (status.textContent = resultText(r).split('\n')[0] ?? '')));
      cell.append(open);
    }
    tr.append(cell);
    body.append(tr);
  }
  table.append(body);
  main.append(table);
  if (message) status.textContent = message;
}

void startView('case-list', (result, view) => {
  const data = result.structuredContent as typeof last;
  if (!data?.cases) {
    status.textContent = resultText(result) || 'This result has no cases to show.';
    return;
  }
  show(data, view);
});
