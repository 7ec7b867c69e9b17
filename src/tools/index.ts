import type { ToolDefinition } from './defineTool.js';
import { whoami } from './core/whoami.js';

/** Every tool the server knows. Agents choose from these by tool set, allowlist and read-only mode. */
export const ALL_TOOLS: readonly ToolDefinition[] = [whoami];
