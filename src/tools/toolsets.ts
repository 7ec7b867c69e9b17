/**
 * Tool sets a route can expose. `core` holds diagnostics every agent may list (e.g. `whoami`);
 * `knowledge` is the knowledge chat with citations (`chat`, `get_reference`); `pipeline` is the Sales
 * pipeline past the opportunity (products, quotes, orders, closing; cx names); `bulk` creates or
 * updates up to 1,000 rows of an allowed table per call (`create_records`, `update_records`); `files` uploads
 * and downloads file and image columns (`init_file_upload`, `commit_file_upload`, `file_download`); `records` is the
 * CX servers' generic record, note, activity and timeline tools (shared by Sales and Service); `engagement` the CX
 * Sales account, contact and catch-up tools; `casework` is the
 * service desk around the case (queues, SLAs, email templates, sending; cx names); `conformance` is the
 * conformance suite's fixture, allowed only on `testOnly` agents.
 */
export const TOOLSETS = ['core', 'sales', 'service', 'dataverse', 'research', 'knowledge', 'pipeline', 'bulk', 'files', 'records', 'engagement', 'casework', 'conformance'] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** The tool name generations an agent may serve (src/tools/names.ts). */
export const NAME_GENERATIONS = ['classic', 'cx', 'both'] as const;
export type NameGeneration = (typeof NAME_GENERATIONS)[number];
