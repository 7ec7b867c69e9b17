import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { type SearchHit, searchWords } from '../../dataverse/search.js';
import { defineTool, type RecordRef, type ToolContext } from '../defineTool.js';
import { type Cited, citedFrom, ErrorShape, refusal, SOURCES, withErrorShape } from './sources.js';

/** Words that carry no topic in a question: left out of the search. */
const FILLER = new Set(
  (
    'a about all also am an and any are as at be been but by can could did do does for from get got had has have hello hi how i if in into is it its just ' +
    'know let like looking me my need no not of on or our please should so some tell than thanks that the their them then there these they this ' +
    'to us was want we were what when where which who why will with would you your yours'
  ).split(' '),
);

/** Topic words of a message, lower case, first occurrence order. */
export function topicWords(message: string): string[] {
  const seen = new Set<string>();
  for (const w of message.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (w.length < 2 && !/\d/.test(w)) continue;
    if (FILLER.has(w)) continue;
    seen.add(w);
  }
  return [...seen];
}

/** Results asked of Dataverse search, and passages given to the answer. */
const SEARCH_TOP = 8;
const PASSAGES = 6;
/** Earlier questions of the chat a follow-up is searched with. */
const CONTEXT_TURNS = 2;

const Citation = z.object({
  referenceId: z.string().describe('Pass it to get_reference with sourceType to open the source'),
  sourceType: z.enum(['Document', 'Qna']),
  sourceName: z.string().describe('File name, article title or QnA question'),
  snippet: z.string().describe('The passage of the source that supports the answer'),
  mimeType: z.string().describe('MIME type of the source file (empty for QnAs)'),
  relevanceScore: z.number().describe('Relevance against the question, from Dataverse search (higher is better)'),
  fileVersion: z.string().describe('Article version (major.minor) when known, else empty'),
  fileLastUpdate: z.string().describe('When the source was last modified (ISO 8601), when known'),
});

const ChatOutput = z.object({
  answer: z.string().describe('The answer; every sentence comes from a cited source'),
  chatId: z.string().describe('Pass it as chatId to ask a follow-up in this conversation'),
  chatMessageId: z.string().describe('Id of this answer'),
  citations: z.array(Citation),
  sentences: z.array(z.object({ text: z.string(), citations: z.array(z.number().int().min(0)).describe('Indexes into citations') })).describe('Each sentence of the answer with the citations it comes from'),
  source: z.string().describe('Which generator wrote the answer (embedded grounded generator, chat model)'),
  notes: z.array(z.string()).describe('Why the answer came from another generator than configured, if it did'),
  error: ErrorShape.optional().describe('Present when the request failed'),
});

type ChatResult = z.output<typeof ChatOutput>;

function empty(chatId: string | undefined): Omit<ChatResult, 'error'> {
  return { answer: '', chatId: chatId ?? '', chatMessageId: '', citations: [], sentences: [], source: '', notes: [] };
}

export const chat = defineTool({
  name: 'chat',
  kind: 'read',
  title: 'Ask the knowledge base',
  description:
    "Answers a question from the knowledge you can read in Dynamics 365: published knowledge articles, documents attached to notes, and QnA pairs, found with Dataverse search. Every sentence of the answer comes from a cited source; open a citation with get_reference. Pass the returned chatId to ask a follow-up in the same conversation.",
  input: z.object({
    message: z.string().max(4000).describe("The user's question or query"),
    chatId: z
      .preprocess((v) => (v === null || v === '' ? undefined : v), z.string().max(100).optional())
      .describe('A chatId from an earlier answer, to continue that conversation (omit or null for a new one)'),
  }),
  output: ChatOutput,
  async run({ message, chatId }, ctx) {
    return withErrorShape('Knowledge chat', empty(chatId), async () => {
      const question = message.trim();
      if (!question) throw refusal('400', 'The message is empty: send the question to answer.', empty(chatId));
      const earlier = chatId ? await ctx.chats.get(chatId) : undefined;
      if (chatId && !earlier) {
        throw refusal('404', 'This chat was not found: it expired, or it belongs to another user or agent. Send the message without chatId to start a new chat.', empty(chatId));
      }
      const previous = (earlier?.turns ?? []).slice(-CONTEXT_TURNS).reverse().map((t) => t.question);
      // A follow-up is searched together with the questions it follows, its own words first.
      const words = [...new Set([...topicWords(question), ...previous.flatMap(topicWords)])];
      const hits = words.length ? await search(ctx, words) : [];
      const cited = hits.map((h, i) => citedFrom(h, `p${i + 1}`)).filter((c): c is Cited => c !== undefined).slice(0, PASSAGES);
      const asked = previous.length ? [question, ...previous].join('\n') : question;
      const result = await ctx.copilot.answer(asked, cited.map((c) => c.passage));

      // Only sentences that name a passage given: every sentence maps to a citation.
      const byPassage = new Map(cited.map((c) => [c.passage.id, c]));
      const order: Cited[] = [];
      const sentences: ChatResult['sentences'] = [];
      const snippets = new Map<Cited, string[]>();
      for (const s of result.sentences) {
        const sources = [...new Set(s.passageIds)].map((id) => byPassage.get(id)).filter((c): c is Cited => c !== undefined);
        if (sources.length === 0) continue;
        for (const c of sources) {
          if (!order.includes(c)) order.push(c);
          snippets.set(c, [...(snippets.get(c) ?? []), s.text]);
        }
        sentences.push({ text: s.text, citations: sources.map((c) => order.indexOf(c)) });
      }
      const answer = sentences.length ? sentences.map((s) => s.text).join(' ') : 'Nothing in the knowledge you can read answers this question.';
      const citations = order.map((c) => ({
        referenceId: ctx.references.seal({ table: c.source.table, id: c.id, sourceType: c.source.sourceType }),
        sourceType: c.source.sourceType,
        sourceName: c.sourceName,
        snippet: (snippets.get(c) ?? []).join(' ').slice(0, 1000) || c.highlight.slice(0, 1000),
        mimeType: c.mimeType,
        relevanceScore: c.relevanceScore,
        fileVersion: c.fileVersion,
        fileLastUpdate: c.fileLastUpdate,
      }));
      const chatMessageId = randomUUID();
      const id = await ctx.chats.append(chatId, { messageId: chatMessageId, at: ctx.now().toISOString(), question, answer });
      const data: ChatResult = { answer, chatId: id, chatMessageId, citations, sentences, source: result.source, notes: result.notes };
      const records: RecordRef[] = order.map((c) => ({ table: c.source.table, id: c.id, name: c.sourceName }));
      return { data, text: render(data), records };
    });
  },
});

async function search(ctx: ToolContext, words: readonly string[]): Promise<SearchHit[]> {
  // Only the sources this org has (a real org may lack the QnA table); the list is cached per org.
  const tables = new Set((await ctx.metadata.tables()).map((t) => t.logicalName));
  const entities = SOURCES.filter((s) => tables.has(s.table)).map((s) => ({ name: s.table, selectColumns: s.selectColumns, searchColumns: s.searchColumns, filter: s.filter }));
  if (entities.length === 0) return [];
  return (await ctx.dataverse.search({ search: searchWords(words), entities, top: SEARCH_TOP })).hits;
}

function render(d: ChatResult): string {
  const lines = [d.answer];
  if (d.citations.length) {
    lines.push('', 'Sources (open one with get_reference and its referenceId and sourceType):');
    d.citations.forEach((c, i) => lines.push(`[${i + 1}] ${c.sourceName} (${c.sourceType}) referenceId: ${c.referenceId}`));
  }
  lines.push('', `chatId: ${d.chatId}`);
  return lines.join('\n');
}
