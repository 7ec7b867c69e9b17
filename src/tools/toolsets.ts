/**
 * Tool sets a route can expose. `core` holds diagnostics every agent may list (e.g. `whoami`);
 * `knowledge` is the knowledge chat with citations (`chat`, `get_reference`); `conformance` is the
 * conformance suite's fixture, allowed only on `testOnly` agents.
 */
export const TOOLSETS = ['core', 'sales', 'service', 'dataverse', 'research', 'knowledge', 'conformance'] as const;
export type Toolset = (typeof TOOLSETS)[number];
