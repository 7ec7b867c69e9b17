/**
 * Tool sets a route can expose. `core` holds diagnostics every agent may list (e.g. `whoami`);
 * `knowledge` is the knowledge chat with citations (`chat`, `get_reference`); `pipeline` is the Sales
 * pipeline past the opportunity (products, quotes, orders, closing; cx names); `conformance` is the
 * conformance suite's fixture, allowed only on `testOnly` agents.
 */
export const TOOLSETS = ['core', 'sales', 'service', 'dataverse', 'research', 'knowledge', 'pipeline', 'conformance'] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** The tool name generations an agent may serve (src/tools/names.ts). */
export const NAME_GENERATIONS = ['classic', 'cx', 'both'] as const;
export type NameGeneration = (typeof NAME_GENERATIONS)[number];
