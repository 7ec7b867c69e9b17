/**
 * The hot-lead ranking (D365_Sales_PrioritizeLeads): a sortable table of the ranked leads with each
 * lead's total and hot flag, the weights used (adjustable: "Re-rank" calls the ranking tool again
 * through the host), and a "Qualify" button that calls the qualify tool through the host, so the
 * server's confirmation applies: the first call returns the preview, and only the user's
 * "Confirm" sends the handle back.
 */
import { announce, callThroughHost, confirmThroughHost, el, formatDate, formatNumber, page, resultText, startView, viewConfig, type ViewHandle } from './kit.js';

interface Ranked {
  rank: number;
  leadId: string;
  fullName: string;
  company: string;
  score?: number;
  lastInteractionOn?: string;
  interactionCount?: number;
  total: number;
  hot: boolean;
  rationale: string;
  recommendedAction: string;
}

interface Ranking {
  ranked: Ranked[];
  considered: number;
  hotCount: number;
  weights: Record<Factor, number>;
  filters: Record<string, unknown>;
  dataAsOf: string;
}

type Factor = 'score' | 'recency' | 'interactions' | 'value';
const FACTORS: ReadonlyArray<[Factor, string]> = [
  ['score', 'Score'],
  ['recency', 'Recency'],
  ['interactions', 'Interactions'],
  ['value', 'Value'],
];

type SortKey = 'rank' | 'fullName' | 'company' | 'score' | 'lastInteractionOn' | 'total';
const COLUMNS: ReadonlyArray<[SortKey, string, boolean]> = [
  ['rank', 'Rank', true],
  ['fullName', 'Lead', false],
  ['company', 'Company', false],
  ['score', 'Score', true],
  ['lastInteractionOn', 'Last interaction', false],
  ['total', 'Total', true],
];

/** The tools this page may call, as the agent serves them; one it does not serve (a read-only agent's qualify) is absent. */
const config = viewConfig<{ rankTool?: string; qualifyTool?: string }>();
const RANK_TOOL = config.rankTool;
const QUALIFY_TOOL = config.qualifyTool;

let ranking: Ranking | undefined;
let sort: { key: SortKey; descending: boolean } = { key: 'rank', descending: false };

const { main, status } = page('Hot leads');

function render(view: ViewHandle): void {
  if (!ranking) return;
  const r = ranking;
  main.replaceChildren(el('h1', { id: 'title' }, 'Hot leads'));
  main.append(weightsForm(r, view));
  const table = el('table', { 'aria-describedby': 'title' });
  table.append(el('caption', {}, `${r.ranked.length} of ${r.considered} leads ranked, ${r.hotCount} hot; data as of ${formatDate(r.dataAsOf, view)}.`));
  const head = el('tr');
  for (const [key, label, numeric] of COLUMNS) {
    const active = sort.key === key;
    const th = el('th', { scope: 'col', ...(numeric && { class: 'num' }), 'aria-sort': active ? (sort.descending ? 'descending' : 'ascending') : 'none' });
    const button = el('button', { type: 'button', 'data-sort': key }, label);
    button.addEventListener('click', () => {
      sort = { key, descending: active ? !sort.descending : key === 'total' || key === 'score' };
      render(view);
      (main.querySelector(`button[data-sort="${key}"]`) as HTMLButtonElement | null)?.focus();
    });
    th.append(button);
    head.append(th);
  }
  head.append(el('th', { scope: 'col' }, 'Action'));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  for (const lead of sorted(r.ranked)) body.append(row(lead, view));
  table.append(body);
  main.append(table);
}

function sorted(rows: readonly Ranked[]): Ranked[] {
  const { key, descending } = sort;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    // Rows without a value (no score, no interaction yet) go last whichever way the column sorts.
    if (x === undefined || y === undefined) return x === y ? a.rank - b.rank : x === undefined ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { sensitivity: 'base' });
    return (descending ? -c : c) || a.rank - b.rank;
  });
}

function row(lead: Ranked, view: ViewHandle): HTMLTableRowElement {
  const tr = el('tr', { 'data-lead': lead.leadId });
  tr.append(
    el('td', { class: 'num' }, String(lead.rank)),
    el('th', { scope: 'row' }, el('span', {}, lead.fullName), ...(lead.hot ? [' ', el('span', { class: 'hot' }, 'Hot')] : [])),
    el('td', {}, lead.company || '—'),
    el('td', { class: 'num' }, formatNumber(lead.score, view)),
    el('td', {}, formatDate(lead.lastInteractionOn, view)),
    el('td', { class: 'num', title: lead.rationale }, formatNumber(lead.total, view, 3)),
  );
  if (QUALIFY_TOOL) {
    const qualify = el('button', { type: 'button', class: 'action', 'aria-label': `Qualify ${lead.fullName}` }, 'Qualify');
    qualify.addEventListener('click', () => void qualifyLead(QUALIFY_TOOL, lead, qualify, view));
    tr.append(el('td', {}, qualify));
  } else tr.append(el('td', { class: 'muted' }, '—'));
  return tr;
}

/** The weights, adjustable; "Re-rank" is a plain button (hosts sandbox views without forms). */
function weightsForm(r: Ranking, view: ViewHandle): HTMLFieldSetElement {
  const set = el('fieldset');
  set.append(el('legend', {}, 'Weights'));
  const inputs = FACTORS.map(([factor, label]) => {
    const input = el('input', { type: 'number', name: factor, min: '0', max: '100', step: '0.05', value: String(r.weights[factor] ?? 0), id: `w-${factor}` });
    set.append(el('label', { for: `w-${factor}` }, label, input));
    return [factor, input] as const;
  });
  if (!RANK_TOOL) return set;
  const tool = RANK_TOOL;
  const rerank = el('button', { type: 'button', class: 'action' }, 'Re-rank');
  set.append(rerank);
  const submit = () => {
    const weights = Object.fromEntries(inputs.map(([f, input]) => [f, Number(input.value) || 0]));
    void callThroughHost(view, status, tool, { ...filtersOf(r), weights }, rerank, (result) => {
      const next = result.structuredContent as Ranking | undefined;
      if (next?.ranked) {
        ranking = next;
        render(view);
        announce(status, `Re-ranked ${next.ranked.length} leads with the new weights.`);
      }
    });
  };
  rerank.addEventListener('click', submit);
  for (const [, input] of inputs) input.addEventListener('keydown', (e) => e.key === 'Enter' && submit());
  return set;
}

/** The filters of the ranking shown, as the ranking tool takes them. */
function filtersOf(r: Ranking): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['status', 'createdWithinDays', 'createdWithinHours', 'minScore', 'owner', 'source']) if (r.filters[key] !== undefined && r.filters[key] !== null) out[key] = r.filters[key];
  return out;
}

async function qualifyLead(tool: string, lead: Ranked, button: HTMLButtonElement, view: ViewHandle): Promise<void> {
  await confirmThroughHost(view, status, tool, { leadId: lead.leadId }, button, (done) => {
    const ok = (done.structuredContent as { status?: string } | undefined)?.status === 'completed';
    announce(status, ok ? `${lead.fullName} was qualified.` : resultText(done));
    if (ok) button.replaceWith(el('span', { class: 'muted' }, 'Qualified'));
  });
}

void startView('lead-ranking', (result, view) => {
  const data = result.structuredContent as Ranking | undefined;
  if (!data?.ranked) {
    announce(status, resultText(result) || 'This result has no ranking to show.');
    return;
  }
  ranking = data;
  render(view);
});
