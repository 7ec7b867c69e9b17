import { coreTools } from './core/index.js';
import { dataverseTools } from './dataverse/index.js';
import type { RegisteredTool } from './defineTool.js';
import { researchTools } from './research/index.js';
import { salesTools } from './sales/index.js';
import { serviceTools } from './service/index.js';

/** Every tool the server knows, by tool set (one folder each). Agents choose by tool set, allowlist and read-only mode. */
export const ALL_TOOLS: readonly RegisteredTool[] = [...coreTools, ...salesTools, ...serviceTools, ...dataverseTools, ...researchTools];
