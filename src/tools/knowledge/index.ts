import { toolset } from '../defineTool.js';
import { chat } from './chat.js';
import { draftKnowledgeArticle, getKnowledgeArticle, publishKnowledgeArticle, searchKnowledgeArticles } from './articles.js';
import { getReference } from './getReference.js';

/**
 * Knowledge chat with citations (the per-agent chat endpoint of the reference documents; under the
 * cx names, `answer_knowledge_question`), and the knowledge articles themselves.
 */
export const knowledgeTools = toolset('knowledge', [chat, getReference, searchKnowledgeArticles, getKnowledgeArticle, draftKnowledgeArticle, publishKnowledgeArticle]);
