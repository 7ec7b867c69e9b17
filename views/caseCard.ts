/**
 * The case card (get_case): the case with its SLA KPIs, queue, latest notes and emails. "Reply"
 * drafts the answer with the grounded generator (D365_CustomerService_DraftEmailResponse) and
 * saves it as a draft through the host (draft_email: the server asks first); "Resolve" closes the
 * case through the host (close_case, or D365_CustomerService_CloseCase on classic agents), after
 * the server's preview and the user's Confirm.
 */
import { CHIP_CSS, callThroughHost, confirmThroughHost, el, formatDate, kpiChip, type KpiView, page, resultText, startView, viewConfig, type ViewHandle } from './kit.js';

interface CaseCard {
  case: { caseId: string; ticketNumber?: string; title: string; description?: string; customer?: { name: string }; primaryContact?: { name: string }; priority?: string; state?: string; statusReason?: string; createdOn?: string; owner?: string; sla: KpiView[] };
  queue?: { name: string; workedBy?: string; enteredOn?: string };
  notes: Array<{ subject: string; text: string; createdOn: string }>;
  emails: Array<{ emailId: string; subject: string; direction: string; state: string; isDraft: boolean; createdOn: string }>;
}

const config = viewConfig<{ draftTool?: string; saveDraftTool?: string; closeTool?: string; closeClassicTool?: string }>();
const { main, status } = page('Case', CHIP_CSS);

function render(card: CaseCard, view: ViewHandle): void {
  const c = card.case;
  main.replaceChildren(el('h1', { id: 'title' }, `${c.ticketNumber ? `${c.ticketNumber}: ` : ''}${c.title}`));
  const facts = el('dl');
  const fact = (k: string, v: string | undefined) => v && facts.append(el('dt', {}, k), el('dd', {}, v));
  fact('Customer', c.customer?.name);
  fact('Contact', c.primaryContact?.name);
  fact('Priority', c.priority);
  fact('State', `${c.state ?? ''}${c.statusReason ? ` (${c.statusReason})` : ''}`);
  fact('Owner', c.owner);
  fact('Created', formatDate(c.createdOn, view));
  fact('Queue', card.queue ? `${card.queue.name}${card.queue.workedBy ? `, worked by ${card.queue.workedBy}` : ', waiting'}` : undefined);
  main.append(facts);
  const sla = el('section', { 'aria-labelledby': 'sla-h' }, el('h2', { id: 'sla-h' }, 'SLA'));
  if (c.sla.length) for (const k of c.sla) sla.append(kpiChip(k, view));
  else sla.append(el('p', { class: 'muted' }, 'No SLA applies.'));
  main.append(sla);
  if (c.description) main.append(el('section', { 'aria-labelledby': 'd-h' }, el('h2', { id: 'd-h' }, 'Description'), el('p', {}, c.description)));
  const notes = el('ul', { class: 'plain' });
  for (const n of card.notes.slice(0, 5)) notes.append(el('li', {}, el('strong', {}, n.subject || 'Note'), ` (${formatDate(n.createdOn, view)}): ${n.text}`));
  main.append(el('section', { 'aria-labelledby': 'n-h' }, el('h2', { id: 'n-h' }, 'Latest notes'), card.notes.length ? notes : el('p', { class: 'muted' }, 'No notes.')));
  const emails = el('ul', { class: 'plain' });
  for (const e of card.emails.slice(0, 5)) emails.append(el('li', {}, `${e.direction === 'outgoing' ? '→' : '←'} ${e.subject} (${e.isDraft ? 'draft' : e.state}, ${formatDate(e.createdOn, view)})`));
  main.append(el('section', { 'aria-labelledby': 'e-h' }, el('h2', { id: 'e-h' }, 'Latest emails'), card.emails.length ? emails : el('p', { class: 'muted' }, 'No emails.')));
  main.append(actions(card, view));
}

function actions(card: CaseCard, view: ViewHandle): HTMLElement {
  const bar = el('div', { class: 'actions', role: 'group', 'aria-label': 'Case actions' });
  const c = card.case;
  if (config.draftTool && config.saveDraftTool) {
    const draftTool = config.draftTool;
    const saveTool = config.saveDraftTool;
    const reply = el('button', { type: 'button', class: 'action' }, 'Reply');
    reply.addEventListener('click', () =>
      void callThroughHost(view, status, draftTool, { caseId: c.caseId }, reply, (r) => {
        const d = r.structuredContent as { subject?: string; body?: string } | undefined;
        const subject = el('input', { type: 'text', id: 'r-subject', value: d?.subject ?? '' });
        const body = el('textarea', { id: 'r-body' });
        body.value = d?.body ?? '';
        const save = el('button', { type: 'button', class: 'action' }, 'Save as draft');
        const editor = el('section', { 'aria-labelledby': 'r-h' }, el('h2', { id: 'r-h' }, 'Reply'), el('label', { for: 'r-subject' }, 'Subject', subject), el('label', { for: 'r-body' }, 'Message', body), save);
        main.querySelector('section[aria-labelledby="r-h"]')?.remove();
        bar.before(editor);
        save.addEventListener('click', () =>
          void confirmThroughHost(view, status, saveTool, { incidentId: c.caseId, subject: subject.value, body: body.value }, save, (done) => {
            status.textContent = (done.structuredContent as { status?: string } | undefined)?.status === 'completed' ? 'The reply was saved as a draft on the case.' : resultText(done);
          }),
        );
        subject.focus();
      }),
    );
    bar.append(reply);
  }
  // States are labels in the user's language: the server decides whether a case can still be resolved.
  const close = config.closeTool ?? config.closeClassicTool;
  if (close) {
    const resolution = el('input', { type: 'text', id: 'c-resolution', placeholder: 'How it was resolved' });
    const resolve = el('button', { type: 'button', class: 'action' }, 'Resolve');
    bar.append(el('label', { for: 'c-resolution' }, 'Resolution', resolution), resolve);
    resolve.addEventListener('click', () => {
      const text = resolution.value.trim();
      if (!text) {
        status.textContent = 'Say how the case was resolved first.';
        resolution.focus();
        return;
      }
      // The CX tool takes incidentId and closeAs; the classic one caseId (src/tools/names.ts keeps them apart).
      const args = config.closeTool ? { incidentId: c.caseId, closeAs: 'resolved', resolution: text } : { caseId: c.caseId, resolution: text };
      void confirmThroughHost(view, status, close, args, resolve, (done) => {
        const ok = (done.structuredContent as { status?: string } | undefined)?.status === 'completed';
        status.textContent = ok ? `${c.ticketNumber ?? 'The case'} was resolved.` : resultText(done);
        if (ok) bar.replaceChildren(el('span', { class: 'muted' }, 'Resolved'));
      });
    });
  }
  return bar;
}

void startView('case-card', (result, view) => {
  const data = result.structuredContent as CaseCard | undefined;
  if (!data?.case) {
    status.textContent = resultText(result) || 'This result has no case to show.';
    return;
  }
  render(data, view);
});
