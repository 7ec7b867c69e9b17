/** Tool sets a route can expose. `core` holds diagnostics every agent may list (e.g. `whoami`). */
export const TOOLSETS = ['core', 'sales', 'service', 'dataverse', 'research'] as const;
export type Toolset = (typeof TOOLSETS)[number];
