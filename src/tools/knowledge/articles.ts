import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { toHtml } from '../../copilot/text.js';
import { eq } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { canonicalEmailText } from '../emailBody.js';
import { queryWords, searchAndRead } from '../searchRead.js';
import { createConfirmed, guidArg, label, num, orNotFound, previewText, str } from '../shared.js';

/** knowledgearticle statecode: 0 Draft, 1 Approved, 2 Scheduled, 3 Published, 4 Expired, 5 Archived, 6 Discarded; statuscode 7 Published (knowledgearticle table reference). */
const PUBLISHED = { statecode: 3, statuscode: 7 } as const;
const ARTICLE_COLUMNS = ['knowledgearticleid', 'title', 'description', 'keywords', 'articlepublicnumber', 'statecode', 'statuscode', 'majorversionnumber', 'minorversionnumber', 'isinternal', 'modifiedon', 'publishon'] as const;

const ArticleSchema = z.object({
  knowledgeArticleId: z.string(),
  articleNumber: z.string(),
  title: z.string(),
  description: z.string(),
  keywords: z.string(),
  state: z.string().describe('Draft, Approved, Published… as Dataverse labels it'),
  version: z.string().describe('major.minor'),
  internal: z.boolean(),
  modifiedOn: z.string(),
});
type Article = z.infer<typeof ArticleSchema>;

function toArticle(row: Row): Article {
  return {
    knowledgeArticleId: str(row, 'knowledgearticleid') ?? '',
    articleNumber: str(row, 'articlepublicnumber') ?? '',
    title: str(row, 'title') ?? '',
    description: str(row, 'description') ?? '',
    keywords: str(row, 'keywords') ?? '',
    state: label(row, 'statecode') ?? '',
    version: `${num(row, 'majorversionnumber') ?? 0}.${num(row, 'minorversionnumber') ?? 0}`,
    internal: row['isinternal'] === true,
    modifiedOn: str(row, 'modifiedon') ?? '',
  };
}
const line = (a: Article) => `${a.articleNumber} "${a.title}" — ${a.state}, v${a.version}${a.internal ? ', internal' : ''} (id ${a.knowledgeArticleId})`;

/** `search_knowledge_articles` (MCP tool reference): published articles ranked by relevance (Dataverse search), read back as the user. Two requests. */
export const searchKnowledgeArticles = defineTool({
  name: 'search_knowledge_articles',
  kind: 'read',
  title: 'Search knowledge articles',
  description: 'Finds knowledge articles by keywords in their title, content and keywords, best first (published ones unless you ask for drafts). Open one with get_knowledge_article.',
  input: z.object({
    query: z.string().trim().min(1).max(100).describe('Keywords, e.g. "reset password".'),
    includeDrafts: z.boolean().default(false).describe('Also drafts and other unpublished articles.'),
    top: z.number().int().min(1).max(25).default(5).describe('How many (1-25, default 5).'),
  }),
  output: z.object({ articles: z.array(ArticleSchema.extend({ score: z.number() })) }),
  async run(args, ctx) {
    const found = await searchAndRead(
      ctx,
      queryWords(args.query),
      { name: 'knowledgearticle', selectColumns: ['title'], searchColumns: ['title', 'content', 'keywords', 'description', 'articlepublicnumber'], ...(!args.includeDrafts && { filter: eq('statecode', PUBLISHED.statecode) }) },
      { entitySet: 'knowledgearticles', idField: 'knowledgearticleid', select: ARTICLE_COLUMNS },
      args.top,
    );
    if (found.length === 0) return { data: { articles: [] }, text: `No ${args.includeDrafts ? '' : 'published '}article matches "${args.query}".` };
    const articles = found.map(({ row, score }) => ({ ...toArticle(row), score }));
    return {
      data: { articles },
      text: `${articles.length} article(s) for "${args.query}", best first:\n${articles.map(line).join('\n')}`,
      records: articles.map((a) => ({ table: 'knowledgearticle', id: a.knowledgeArticleId, name: a.title })),
    };
  },
});

/** `get_knowledge_article` (MCP tool reference): one article by id or public number, its content as plain text. One request. */
export const getKnowledgeArticle = defineTool({
  name: 'get_knowledge_article',
  kind: 'read',
  title: 'Get knowledge article',
  description: 'Gets one knowledge article by id or article number (e.g. KA-01001; the published version, else the newest), with its content as plain text.',
  input: z.object({
    knowledgeArticleId: guidArg('The article.').optional(),
    articleNumber: z.string().trim().min(1).max(50).optional().describe('Its public number, e.g. "KA-01001" (the published version is returned).'),
  }),
  output: ArticleSchema.extend({ content: z.string().describe('Plain text, up to 20,000 characters') }),
  async run(args, ctx) {
    let row: Row;
    if (args.knowledgeArticleId) {
      row = await orNotFound('knowledge article', args.knowledgeArticleId, () => ctx.dataverse.get('knowledgearticles', args.knowledgeArticleId!, { select: [...ARTICLE_COLUMNS, 'content'] }));
    } else if (args.articleNumber) {
      // Versions share the number: the published one if there is one, else the newest version.
      const page = await ctx.dataverse.list(
        'knowledgearticles',
        { select: [...ARTICLE_COLUMNS, 'content'], filter: eq('articlepublicnumber', args.articleNumber), orderby: [{ property: 'majorversionnumber', descending: true }, { property: 'minorversionnumber', descending: true }], top: 20 },
        { maxRows: 20 },
      );
      const chosen = page.rows.find((r) => r['statecode'] === PUBLISHED.statecode) ?? page.rows[0];
      if (!chosen) throw new ToolError(`No knowledge article numbered ${args.articleNumber} that you can read.`, 'not_found');
      row = chosen;
    } else {
      throw new ToolError('Give knowledgeArticleId or articleNumber.', 'invalid_argument');
    }
    const a = toArticle(row);
    const content = canonicalEmailText(str(row, 'content') ?? '').slice(0, 20_000);
    return { data: { ...a, content }, text: `${line(a)}\n\n${content}`, records: [{ table: 'knowledgearticle', id: a.knowledgeArticleId, name: a.title }] };
  },
});

/** `draft_knowledge_article` (MCP tool reference): saves a new article as a draft (not visible to customers until published). */
export const draftKnowledgeArticle = defineTool({
  name: 'draft_knowledge_article',
  kind: 'write',
  title: 'Draft knowledge article',
  description: 'Saves a new knowledge article as a draft from a title and content (plain text; e.g. the steps that solved a case). It is not published: publish it with publish_knowledge_article. Asks the user to confirm first unless the agent confirms only destructive and outbound changes.',
  input: z.object({
    title: z.string().trim().min(1).max(500).describe('Article title, e.g. "Printer shows offline after an update".'),
    content: z.string().trim().min(1).max(100_000).describe('The article, as plain text; paragraphs separated by blank lines.'),
    description: z.string().trim().max(155).optional().describe('Short description (155 characters).'),
    keywords: z.string().trim().max(1000).optional().describe('Comma-separated keywords.'),
    internal: z.boolean().default(false).describe('Only for staff, never shown to customers.'),
  }),
  output: z.object({ article: ArticleSchema }),
  auditTarget: () => 'knowledgearticle:new',
  async prepare(args, ctx) {
    await ctx.privileges.require({ table: 'knowledgearticle', ops: ['Create', 'Read'] });
    return {
      preview: { summary: `Save the draft knowledge article "${args.title}" (not published).`, details: { title: args.title, content: previewText(args.content), ...(args.description && { description: args.description }), ...(args.keywords && { keywords: args.keywords }), internal: args.internal ? 'yes' : 'no' } },
      async run() {
        const { id } = await createConfirmed(ctx, { table: 'knowledgearticle', entitySet: 'knowledgearticles', primaryId: 'knowledgearticleid' }, {
          title: args.title,
          content: toHtml(args.content),
          isinternal: args.internal,
          ...(args.description && { description: args.description }),
          ...(args.keywords && { keywords: args.keywords }),
        });
        const article = toArticle(await ctx.dataverse.get('knowledgearticles', id, { select: ARTICLE_COLUMNS }));
        return { data: { article }, text: `Saved draft ${line(article)}. Publish it with publish_knowledge_article.`, target: `knowledgearticle:${id}`, records: [{ table: 'knowledgearticle', id, name: article.title }] };
      },
    };
  },
});

/** `publish_knowledge_article` (MCP tool reference): publishes a draft or approved article now; customers may then see it (unless internal). */
export const publishKnowledgeArticle = defineTool({
  name: 'publish_knowledge_article',
  kind: 'write',
  alwaysConfirm: true,
  title: 'Publish knowledge article',
  description: 'Publishes a draft or approved knowledge article now, so agents and (unless it is internal) customers can find it. Always asks the user to confirm first.',
  input: z.object({ knowledgeArticleId: guidArg('The article to publish.') }),
  output: z.object({ article: ArticleSchema }),
  auditTarget: (args) => `knowledgearticle:${args.knowledgeArticleId}`,
  async prepare(args, ctx) {
    const [row] = await Promise.all([
      orNotFound('knowledge article', args.knowledgeArticleId, () => ctx.dataverse.get('knowledgearticles', args.knowledgeArticleId, { select: [...ARTICLE_COLUMNS, 'content'] })),
      ctx.privileges.require({ table: 'knowledgearticle', ops: ['Read', 'Write'] }),
    ]);
    const a = toArticle(row);
    const state = num(row, 'statecode');
    if (state !== 0 && state !== 1) throw new ToolError(`Article ${a.articleNumber} is ${a.state.toLowerCase()}: only a draft or approved article is published.`, 'conflict');
    return {
      preview: {
        summary: `Publish knowledge article ${a.articleNumber} "${a.title}" now${a.internal ? ' (internal: staff only)' : ' (visible to customers)'}.`,
        details: { title: a.title, content: previewText(canonicalEmailText(str(row, 'content') ?? ''), 1500), version: a.version },
      },
      async run() {
        await ctx.dataverse.update('knowledgearticles', args.knowledgeArticleId, { ...PUBLISHED, publishon: ctx.now().toISOString() });
        const article = toArticle(await ctx.dataverse.get('knowledgearticles', args.knowledgeArticleId, { select: ARTICLE_COLUMNS }));
        return { data: { article }, text: `Published ${line(article)}.`, target: `knowledgearticle:${args.knowledgeArticleId}`, records: [{ table: 'knowledgearticle', id: args.knowledgeArticleId, name: article.title }] };
      },
    };
  },
});
