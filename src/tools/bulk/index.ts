import { toolset } from '../defineTool.js';
import { createRecords } from './createRecords.js';
import { updateRecords } from './updateRecords.js';

/** Bulk writes over the agent's table allowlist (CreateMultiple / UpdateMultiple), one confirmation per call. */
export const bulkTools = toolset('bulk', [createRecords, updateRecords]);
