/**
 * The lead card (D365_Sales_InvokeLeadSummary / get_lead_summary): the grounded summary, each
 * sentence with the CRM fields it rests on, the suggested next step, and two actions through the
 * host: "Draft outreach" (the grounded draft, shown for the user to copy or send from the chat) and
 * "Qualify" (the server's preview, then the user's Confirm).
 */
import { CHIP_CSS, callThroughHost, confirmThroughHost, el, page, resultText, startView, viewConfig, type ViewHandle } from './kit.js';

interface LeadSummary {
  leadId: string;
  summary: string;
  nextStep?: string;
  grounding: Array<{ text: string; fields: string[] }>;
  source: string;
  notes: string[];
}

const config = viewConfig<{ qualifyTool?: string; draftTool?: string }>();
const { main, status } = page('Lead', CHIP_CSS);

function render(s: LeadSummary, view: ViewHandle): void {
  main.replaceChildren(el('h1', { id: 'title' }, 'Lead summary'));
  const list = el('ul', { class: 'plain', 'aria-label': 'Summary, sentence by sentence' });
  // The next step has its own section; its sentence is not repeated in the list.
  for (const g of s.grounding.filter((g) => !s.nextStep || !g.text.endsWith(s.nextStep))) list.append(el('li', { title: g.fields.length ? `From ${g.fields.join(', ')}` : 'Written by the organisation’s Copilot' }, g.text));
  main.append(el('section', { 'aria-labelledby': 's-h' }, el('h2', { id: 's-h' }, 'What CRM says'), s.grounding.length ? list : el('p', {}, s.summary)));
  if (s.nextStep) main.append(el('section', { 'aria-labelledby': 'n-h' }, el('h2', { id: 'n-h' }, 'Next step'), el('p', {}, s.nextStep.charAt(0).toUpperCase() + s.nextStep.slice(1))));
  main.append(el('p', { class: 'muted' }, `Written by ${s.source}.${s.notes.length ? ` ${s.notes.join(' ')}` : ''}`));
  const bar = el('div', { class: 'actions', role: 'group', 'aria-label': 'Lead actions' });
  if (config.draftTool) {
    const tool = config.draftTool;
    const draft = el('button', { type: 'button', class: 'action' }, 'Draft outreach');
    draft.addEventListener('click', () =>
      void callThroughHost(view, status, tool, { leadId: s.leadId }, draft, (r) => {
        const d = r.structuredContent as { to?: string; subject?: string; body?: string } | undefined;
        main.querySelector('section[aria-labelledby="d-h"]')?.remove();
        const body = el('textarea', { id: 'd-body', readonly: '' });
        body.value = d?.body ?? '';
        bar.before(el('section', { 'aria-labelledby': 'd-h' }, el('h2', { id: 'd-h' }, `Draft to ${d?.to ?? 'the lead'}: ${d?.subject ?? ''}`), el('label', { for: 'd-body' }, 'Message', body)));
        status.textContent = 'Draft ready: nothing was sent.';
      }),
    );
    bar.append(draft);
  }
  if (config.qualifyTool) {
    const tool = config.qualifyTool;
    const qualify = el('button', { type: 'button', class: 'action' }, 'Qualify');
    qualify.addEventListener('click', () =>
      void confirmThroughHost(view, status, tool, { leadId: s.leadId }, qualify, (done) => {
        const ok = (done.structuredContent as { status?: string } | undefined)?.status === 'completed';
        status.textContent = ok ? 'The lead was qualified.' : resultText(done);
        if (ok) qualify.replaceWith(el('span', { class: 'muted' }, 'Qualified'));
      }),
    );
    bar.append(qualify);
  }
  main.append(bar);
}

void startView('lead-card', (result, view) => {
  const data = result.structuredContent as LeadSummary | undefined;
  if (!data?.leadId) {
    status.textContent = resultText(result) || 'This result has no lead to show.';
    return;
  }
  render(data, view);
});
