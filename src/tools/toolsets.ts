/**
 * Tool sets a route can expose. `core` holds diagnostics every agent may list (e.g. `whoami`);
 * `knowledge` is the knowledge chat with citations and the knowledge articles; `pipeline` the Sales
 * pipeline past the opportunity (products, quotes, orders, closing); `bulk` creates or updates up to
 * 1,000 rows of an allowed table per call; `files` uploads and downloads file and image columns;
 * `records` the CX servers' generic record, note, activity and timeline tools (Sales and Service);
 * `engagement` the CX Sales account, contact and catch-up tools; `casework` the service desk around
 * the case (queues, SLAs, email templates, sending); `people` the CX Service contact and account
 * tools; `conformance` the conformance suite's fixture, allowed only on `testOnly` agents.
 */
export const TOOLSETS = ['core', 'sales', 'service', 'dataverse', 'research', 'knowledge', 'pipeline', 'bulk', 'files', 'records', 'engagement', 'casework', 'people', 'conformance'] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** The tool name generations an agent may serve (src/tools/names.ts). */
export const NAME_GENERATIONS = ['classic', 'cx', 'both'] as const;
export type NameGeneration = (typeof NAME_GENERATIONS)[number];
