import { toolset } from '../defineTool.js';
import { chat } from './chat.js';
import { getReference } from './getReference.js';

/** Knowledge chat with citations (the per-agent chat endpoint of the reference documents). */
export const knowledgeTools = toolset('knowledge', [chat, getReference]);
