import { addDays, toIso } from '../clock.js';
import { stableGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { Store } from '../store/store.js';
import { LOCAL_USERS } from '../users.js';
import { Inserter, type Values } from './seedOrganisation.js';

/**
 * The knowledge base beside the support topics' articles: agent procedures, the product catalogue
 * of the packaging line (the Sales scenario's "metal packaging for cold pressed olive oil"), notes
 * with attached documents, and QnA pairs. Some rows must never be cited: draft and expired
 * articles, an inactive QnA pair. Idempotent and drawn from no PRNG (like the other later
 * additions), so every earlier seeded row stays as it was and a saved org gets the rows on load.
 */

interface ArticleSeed {
  key: string;
  title: string;
  description: string;
  keywords: string;
  paragraphs: readonly string[];
  steps?: readonly string[];
  internal?: boolean;
  /** 3 Published (default), 0 Draft, 4 Expired. */
  state?: 0 | 3 | 4;
  version?: readonly [number, number];
  /** Days before the anchor it was last modified. */
  age: number;
}

interface DocumentSeed {
  key: string;
  /** The article (by key) the note is attached to. */
  article: string;
  subject: string;
  notetext: string;
  filename: string;
  mimetype: string;
  body: string | Buffer;
  age: number;
}

interface QnaSeed {
  key: string;
  question: string;
  answer: string;
  type?: 'Simple' | 'Card' | 'Dialog';
  category: string;
  active?: boolean;
  age: number;
}

export const KNOWLEDGE_ARTICLES: readonly ArticleSeed[] = [
  // ---- service desk procedures (internal) -------------------------------------------------------
  {
    key: 'agent-password-reset',
    title: "Resetting a customer's portal password",
    description: 'Agent procedure: send a password reset to a customer who cannot sign in.',
    keywords: 'password, reset, customer, portal, sign in, agent',
    internal: true,
    version: [2, 1],
    age: 12,
    paragraphs: ['Use this procedure when a customer calls or writes because they cannot sign in to the customer portal. Agents never see or set a password themselves.'],
    steps: [
      "Verify the customer's identity with two of: the email address on the account, the account number, the postcode of the billing address.",
      "Open the customer's contact record in Dynamics 365 and select Send password reset on the Portal tab.",
      'Tell the customer that the reset link is valid for 30 minutes and can be used once.',
      'If the customer reports that the email did not arrive, ask them to check the junk folder and to add support@contoso.example to their safe senders list.',
      'If the account is locked after five failed sign-ins, unlock it first with Unlock portal account on the same tab.',
    ],
  },
  {
    key: 'agent-verify-identity',
    title: "Verifying a customer's identity",
    description: 'Agent procedure: identity checks before any account change.',
    keywords: 'identity, verification, security, account change',
    internal: true,
    version: [1, 3],
    age: 40,
    paragraphs: ['Verify identity before changing contact details, resetting a password or sharing order information.'],
    steps: ['Ask for two of: the email address on the account, the account number, the billing postcode.', 'Never ask for a password or a full card number.', 'If the customer fails the check twice, end the call politely and note the attempt on the contact.'],
  },
  {
    key: 'agent-unlock',
    title: 'Unlocking a locked portal account',
    description: 'Agent procedure: unlock an account after repeated failed sign-ins.',
    keywords: 'locked, unlock, lockout, portal, sign in',
    internal: true,
    version: [1, 0],
    age: 33,
    paragraphs: ['Portal accounts lock for 30 minutes after five failed sign-ins within ten minutes.'],
    steps: ["Verify the customer's identity.", 'Open the contact record and select Unlock portal account on the Portal tab.', 'Suggest a password reset if the customer no longer knows the password.'],
  },
  {
    key: 'agent-change-email',
    title: "Changing the email address on a customer's portal account",
    description: 'Agent procedure: update the sign-in email address.',
    keywords: 'email address, change, portal, sign in',
    internal: true,
    version: [1, 1],
    age: 61,
    paragraphs: ['The sign-in email address is the contact\'s primary email. Changing it signs the customer out of every device.'],
    steps: ["Verify the customer's identity.", "Update Email on the contact record and save.", 'Ask the customer to confirm the new address with the link the portal sends.'],
  },
  {
    key: 'agent-two-step',
    title: 'Turning on two-step verification for a customer',
    description: 'Agent procedure: help a customer add a second sign-in factor.',
    keywords: 'two-step verification, mfa, security, sign in',
    internal: true,
    age: 90,
    paragraphs: ['Customers turn on two-step verification themselves under Profile, Security. Agents can only explain the steps.'],
    steps: ['Ask the customer to sign in and open Profile, Security.', 'Select Turn on two-step verification and scan the code with an authenticator app.', 'Remind them to store the recovery codes.'],
  },
  {
    key: 'agent-escalate',
    title: 'Escalating a case to second-line support',
    description: 'When and how to hand a case to second-line support.',
    keywords: 'escalate, escalation, second line, case',
    internal: true,
    age: 20,
    paragraphs: ['Escalate when the first-line checklist is exhausted or the customer reports an outage affecting more than ten users.'],
    steps: ['Set the case priority to High and mark it as escalated.', 'Add a note with what was tried and the customer impact.', 'Assign the case to the Second-line support queue.'],
  },
  {
    key: 'agent-gdpr',
    title: 'Handling a data protection request',
    description: 'Access, correction and erasure requests under data protection law.',
    keywords: 'gdpr, data protection, privacy, erasure, access request',
    internal: true,
    age: 120,
    paragraphs: ['Data protection requests must be answered within one month.'],
    steps: ["Verify the customer's identity.", 'Open a case of type Request with the subject Data protection request.', 'Forward the case to privacy@contoso.example; do not export data yourself.'],
  },
  {
    key: 'agent-goodwill',
    title: 'Issuing a goodwill credit',
    description: 'Limits and approvals for goodwill credits.',
    keywords: 'goodwill, credit, compensation, approval',
    internal: true,
    age: 75,
    paragraphs: ['Agents may issue goodwill credits of up to 50 EUR per case without approval; larger credits need a team lead.'],
    steps: ['Record the reason on the case.', 'Create the credit note from the invoice.', 'Tell the customer when the credit appears on their account.'],
  },
  // ---- product catalogue: metal packaging --------------------------------------------------------
  {
    key: 'cat-overview',
    title: 'Product catalogue: metal packaging overview',
    description: 'The metal packaging ranges for food, oils and beverages.',
    keywords: 'product catalogue, metal packaging, cans, bottles, tinplate, aluminium',
    version: [3, 0],
    age: 25,
    paragraphs: [
      'Our metal packaging comes in four ranges: tinplate oil cans, slim aluminium bottles, food cans and aerosol cans.',
      'For edible oils we recommend the tinplate oil cans and the slim aluminium bottles, both opaque and food-safe.',
      'Every range can be printed in up to six colours or embossed with your logo.',
    ],
  },
  {
    key: 'cat-tinplate-oil-cans',
    title: 'Product catalogue: tinplate oil cans',
    description: 'Rectangular tinplate cans for olive oil and other edible oils.',
    keywords: 'tinplate, oil can, olive oil, edible oil, metal packaging',
    version: [2, 2],
    age: 18,
    paragraphs: [
      'Tinplate oil cans come in 250 ml, 500 ml, 1 l and 5 l and keep cold pressed olive oil away from light and oxygen.',
      'The inside is lacquered with a food-safe BPA-NI coating, so the oil never touches bare metal.',
      'Each can has a tamper-evident screw cap; a drip-free pourer is available as an option.',
      'The minimum order is 5,000 cans per size, or 10,000 cans with custom printing.',
    ],
  },
  {
    key: 'cat-slim-bottles',
    title: 'Product catalogue: slim aluminium bottles',
    description: 'Opaque, slim aluminium bottles for premium oils.',
    keywords: 'aluminium bottle, slim bottle, olive oil, opaque, premium, metal packaging',
    version: [1, 4],
    age: 9,
    paragraphs: [
      'Slim aluminium bottles in 250 ml and 500 ml are opaque, light and unbreakable, which suits premium cold pressed olive oil.',
      'Their narrow neck takes a drip-free pourer or a screw cap, and the bottles are fully recyclable.',
      'A version made with 70% recycled aluminium is available for brands that prefer sustainable packaging.',
    ],
  },
  {
    key: 'cat-oil-guide',
    title: 'Packaging guide: choosing packaging for olive oil',
    description: 'What olive oil needs from its packaging.',
    keywords: 'olive oil, packaging guide, light, oxygen, opaque, shelf life',
    version: [1, 2],
    age: 30,
    paragraphs: [
      'Olive oil loses flavour and nutrients when exposed to light, heat and oxygen.',
      'Opaque metal packaging blocks light completely, so cold pressed olive oil keeps its quality for up to 24 months.',
      'Slim bottles suit retail shelves and gift sets; tinplate cans suit larger volumes and food service.',
      'Clear glass is not recommended for olive oil; dark glass protects it only partly.',
    ],
  },
  {
    key: 'cat-sustainable',
    title: 'Product catalogue: sustainable packaging options',
    description: 'Recycled content and recyclability across the ranges.',
    keywords: 'sustainable, recycled, recyclable, aluminium, tinplate, environment',
    age: 14,
    paragraphs: [
      'Aluminium and tinplate can be recycled indefinitely without losing quality.',
      'Slim aluminium bottles are available with 70% recycled content, and tinplate cans with 40%.',
      'We publish a carbon footprint per item for every range on request.',
    ],
  },
  {
    key: 'cat-pourers',
    title: 'Product catalogue: drip-free pourers and caps',
    description: 'Closures for oil cans and bottles.',
    keywords: 'pourer, cap, closure, drip-free, tamper-evident',
    age: 44,
    paragraphs: ['Drip-free pourers fit the slim aluminium bottles and the 250 ml to 1 l tinplate oil cans.', 'Tamper-evident screw caps come in black, silver and gold.'],
  },
  {
    key: 'cat-food-cans',
    title: 'Product catalogue: food cans',
    description: 'Round food cans for preserves.',
    keywords: 'food can, preserves, tinplate, easy open',
    age: 70,
    paragraphs: ['Round tinplate food cans come in 200 g to 3 kg with easy-open ends.', 'They are not designed for oils; use the tinplate oil cans instead.'],
  },
  {
    key: 'cat-aerosol',
    title: 'Product catalogue: aerosol cans',
    description: 'Aluminium aerosol cans for cooking sprays and cosmetics.',
    keywords: 'aerosol, spray, aluminium, cooking spray',
    age: 95,
    paragraphs: ['Aluminium aerosol cans from 50 ml to 400 ml suit cooking sprays, including olive oil sprays.'],
  },
  {
    key: 'cat-glass',
    title: 'Product catalogue: dark glass bottles',
    description: 'Dark green glass bottles, the non-metal alternative.',
    keywords: 'glass bottle, dark glass, marasca, olive oil',
    age: 52,
    paragraphs: ['Dark green Marasca glass bottles in 250 ml, 500 ml and 750 ml are the non-metal alternative for olive oil.', 'Glass is heavier and can break in transit.'],
  },
  {
    key: 'cat-printing',
    title: 'Product catalogue: printing and embossing',
    description: 'Decoration options for cans and bottles.',
    keywords: 'printing, embossing, decoration, logo, custom design',
    age: 38,
    paragraphs: ['Cans and bottles can be printed in up to six colours, or embossed with a logo.', 'Custom printing needs artwork six weeks before delivery and a minimum order of 10,000 items.'],
  },
  // ---- never to be cited: draft and expired articles ---------------------------------------------
  {
    key: 'legacy-console',
    title: 'Resetting passwords in the legacy admin console',
    description: 'Retired procedure for the old admin console.',
    keywords: 'password, reset, legacy, admin console',
    state: 4,
    internal: true,
    age: 400,
    paragraphs: ['Open the legacy admin console, search for the customer and type a new password for them.'],
  },
  {
    key: 'draft-password-policy',
    title: 'Draft: password policy 2027',
    description: 'Proposed password rules, not yet approved.',
    keywords: 'password, policy, draft',
    state: 0,
    internal: true,
    age: 3,
    paragraphs: ['Passwords will need 16 characters and will expire every 30 days.'],
  },
];

/** A minimal, valid one-page PDF (its text is not indexed: search sees its name, title and note). */
function tinyPdf(text: string): Buffer {
  const stream = `BT /F1 12 Tf 72 720 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export const KNOWLEDGE_DOCUMENTS: readonly DocumentSeed[] = [
  {
    key: 'doc-reset-runbook',
    article: 'agent-password-reset',
    subject: 'Runbook: portal password resets',
    notetext: 'Service desk runbook for customers who cannot sign in.',
    filename: 'portal-password-reset-runbook.txt',
    mimetype: 'text/plain',
    age: 12,
    body: [
      'Portal password reset runbook',
      '',
      "1. Verify the customer's identity with two of: email address, account number, billing postcode.",
      '2. On the contact record, open the Portal tab and select Send password reset.',
      '3. The reset link expires after 30 minutes and works once.',
      '4. If the email does not arrive within five minutes, check that the address on the contact is correct and resend once.',
      '5. Never read a password out to a customer or type one for them.',
      '',
    ].join('\n'),
  },
  {
    key: 'doc-oil-spec',
    article: 'cat-overview',
    subject: 'Spec sheet: olive oil packaging',
    notetext: 'Capacities, materials and minimum orders of the oil packaging ranges.',
    filename: 'olive-oil-packaging-spec-sheet.md',
    mimetype: 'text/markdown',
    age: 25,
    body: [
      '# Olive oil packaging spec sheet',
      '',
      '## Tinplate oil cans',
      'Capacities 250 ml, 500 ml, 1 l and 5 l. Food-safe BPA-NI inner lacquer. Minimum order 5,000 cans per size.',
      '',
      '## Slim aluminium bottles',
      'Capacities 250 ml and 500 ml. Opaque and unbreakable. Optional 70% recycled aluminium. Minimum order 3,000 bottles.',
      '',
      '## Lead times',
      'Plain items ship in two weeks; printed items in six weeks.',
      '',
    ].join('\n'),
  },
  {
    key: 'doc-can-prices',
    article: 'cat-tinplate-oil-cans',
    subject: 'Price list: tinplate oil cans 2026',
    notetext: 'List prices per 1,000 cans, before volume discounts.',
    filename: 'tinplate-oil-can-price-list-2026.csv',
    mimetype: 'text/csv',
    age: 18,
    body: ['size,price_per_1000_eur,pallet_quantity', '250 ml,310,12000', '500 ml,395,8000', '1 l,520,5000', '5 l,1480,1200', ''].join('\n'),
  },
  {
    key: 'doc-espresso-manual',
    article: 'cat-overview',
    subject: 'Service manual: espresso machines',
    notetext: 'Manufacturer service manual for the espresso machine range (PDF).',
    filename: 'espresso-machine-service-manual.pdf',
    mimetype: 'application/pdf',
    age: 200,
    body: tinyPdf('Espresso machine service manual'),
  },
];

export const KNOWLEDGE_QNA: readonly QnaSeed[] = [
  {
    key: 'qna-reset-password',
    question: "How do I reset a customer's password?",
    answer: "Verify the customer's identity, then select Send password reset on the Portal tab of their contact record. The reset link is valid for 30 minutes.",
    category: 'Portal',
    age: 10,
  },
  { key: 'qna-link-validity', question: 'How long is a password reset link valid?', answer: 'A password reset link is valid for 30 minutes and can be used once.', category: 'Portal', age: 10 },
  {
    key: 'qna-no-email',
    question: 'Why has the customer not received the password reset email?',
    answer: 'The reset email is often held by a junk filter. Ask the customer to check the junk folder and to add support@contoso.example to their safe senders list.',
    category: 'Portal',
    age: 15,
  },
  { key: 'qna-lockout', question: 'How many failed sign-ins lock a portal account?', answer: 'Five failed sign-ins within ten minutes lock the account for 30 minutes.', category: 'Portal', age: 33 },
  { key: 'qna-tell-password', question: 'Can I tell a customer their password?', answer: 'No. Agents never see, set or read out passwords; send a password reset instead.', category: 'Portal', age: 12 },
  {
    key: 'qna-can-sizes',
    question: 'What sizes do the tinplate oil cans come in?',
    answer: 'Tinplate oil cans come in 250 ml, 500 ml, 1 l and 5 l.',
    category: 'Packaging',
    age: 18,
  },
  { key: 'qna-print-minimum', question: 'What is the minimum order for custom-printed packaging?', answer: 'Custom-printed cans and bottles have a minimum order of 10,000 items.', category: 'Packaging', age: 38 },
  {
    key: 'qna-freshest',
    question: 'Which packaging keeps olive oil fresh the longest?',
    answer: 'Opaque metal packaging, either tinplate oil cans or slim aluminium bottles, blocks light completely and keeps cold pressed olive oil fresh for up to 24 months.',
    category: 'Packaging',
    age: 30,
  },
  { key: 'qna-recycled', question: 'Do you offer bottles made from recycled aluminium?', answer: 'Yes. Slim aluminium bottles are available with 70% recycled aluminium.', category: 'Packaging', age: 14 },
  { key: 'qna-escalate', question: 'How do I escalate a case?', answer: 'Set the priority to High, add a note with what was tried, and assign the case to the Second-line support queue.', category: 'Cases', age: 20 },
  {
    key: 'qna-support-hours',
    question: 'What are the support hours?',
    type: 'Card',
    answer: JSON.stringify({
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'TextBlock', text: 'Support is open Monday to Friday, 8:00 to 18:00 CET.', wrap: true },
        { type: 'TextBlock', text: 'Priority customers can call the hotline around the clock.', wrap: true },
      ],
    }),
    category: 'General',
    age: 60,
  },
  {
    key: 'qna-old-reset',
    question: 'Can agents type a new password for a customer?',
    answer: 'Yes, in the legacy admin console.',
    category: 'Portal',
    active: false,
    age: 400,
  },
];

/** Adds the knowledge base (idempotent). `anchor` is the organisation's "now". */
export function seedKnowledgeBase(store: Store, model: MetadataModel, anchor: Date): void {
  if (!model.table('new_qna') || !model.table('knowledgearticle')) return;
  const ins = new Inserter(store, model);
  const adminId = LOCAL_USERS.find((u) => u.roles.includes('System Administrator'))?.systemUserId ?? null;
  const bobId = LOCAL_USERS.find((u) => u.alias === 'bob')?.systemUserId ?? adminId;
  const exists = (table: string, key: string, id: string) => store.get(`SELECT 1 AS x FROM "${table}" WHERE "${key}" = ?`, [id]) !== undefined;
  const stamp = (age: number, owner: string | null): Values => {
    const at = toIso(addDays(anchor, -age));
    return { createdon: at, modifiedon: at, createdby: owner, modifiedby: owner, ownerid: owner };
  };
  const articleIds = new Map<string, string>();
  store.transaction(() => {
    KNOWLEDGE_ARTICLES.forEach((a, i) => {
      const id = stableGuid(`knowledgearticle:${a.key}`);
      articleIds.set(a.key, id);
      if (exists('knowledgearticle', 'knowledgearticleid', id)) return;
      const state = a.state ?? 3;
      const number = `KA-0${2001 + i}`;
      const content = [`<h2>${a.title}</h2>`, ...a.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`), ...(a.steps ? [`<ol>${a.steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>`] : [])].join('');
      ins.insert('knowledgearticle', {
        knowledgearticleid: id,
        title: a.title,
        content,
        description: a.description,
        keywords: a.keywords,
        articlepublicnumber: number,
        isinternal: a.internal ?? false,
        majorversionnumber: a.version?.[0] ?? 1,
        minorversionnumber: a.version?.[1] ?? 0,
        publishon: state === 3 ? toIso(addDays(anchor, -a.age)) : null,
        knowledgearticleviews: 0,
        statecode: state,
        statuscode: state === 3 ? 7 : state === 4 ? 10 : 2,
        ...stamp(a.age, adminId),
      });
    });
    for (const d of KNOWLEDGE_DOCUMENTS) {
      const id = stableGuid(`annotation:${d.key}`);
      const regarding = articleIds.get(d.article);
      if (exists('annotation', 'annotationid', id) || !regarding) continue;
      const bytes = typeof d.body === 'string' ? Buffer.from(d.body, 'utf8') : d.body;
      ins.insert('annotation', {
        annotationid: id,
        subject: d.subject,
        notetext: d.notetext,
        objectid: regarding,
        objecttypecode: 'knowledgearticle',
        isdocument: true,
        filename: d.filename,
        mimetype: d.mimetype,
        documentbody: bytes.toString('base64'),
        filesize: bytes.length,
        ...stamp(d.age, adminId),
      });
    }
    for (const q of KNOWLEDGE_QNA) {
      const id = stableGuid(`new_qna:${q.key}`);
      if (exists('new_qna', 'new_qnaid', id)) continue;
      const active = q.active ?? true;
      ins.insert('new_qna', {
        new_qnaid: id,
        new_question: q.question,
        new_answer: q.answer,
        new_answertype: q.type === 'Card' ? 100000001 : q.type === 'Dialog' ? 100000002 : 100000000,
        new_category: q.category,
        statecode: active ? 0 : 1,
        statuscode: active ? 1 : 2,
        ...stamp(q.age, bobId),
      });
    }
  });
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
