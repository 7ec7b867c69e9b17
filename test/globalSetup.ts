import type { TestProject } from 'vitest/node';

import { startAzurite } from '../src/dev/azurite.js';
import { buildViews, viewsStale } from '../scripts/buildViews.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Azurite's Table and Queue endpoints (sessions, handles, audit; per-instance delivery queues). */
    tablesConnectionString: string;
    /** The instant test servers are pinned to (ISO 8601). */
    testNow: string;
  }
}

/**
 * Tests run on a pinned clock, never the wall clock. The default instant is fixed; `TEST_NOW`
 * moves a whole run (e.g. to a minute before or after midnight, UTC or local).
 */
const DEFAULT_TEST_NOW = '2026-11-24T15:30:00.000Z';

/** One in-memory Azurite (tables and queues) for the whole run; each test server uses its own table prefix. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const now = new Date(process.env['TEST_NOW'] ?? DEFAULT_TEST_NOW);
  if (Number.isNaN(now.getTime())) throw new Error(`TEST_NOW is not an ISO 8601 instant: ${process.env['TEST_NOW']}`);
  project.provide('testNow', now.toISOString());
  // The interactive views the server serves and the browser tests load (dist/views), as npm run build makes them.
  if (viewsStale()) await buildViews();
  const azurite = await startAzurite();
  project.provide('tablesConnectionString', azurite.connectionString);
  return () => azurite.close();
}
