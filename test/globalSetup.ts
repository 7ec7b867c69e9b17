import type { TestProject } from 'vitest/node';

import { startAzurite } from '../src/dev/azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    tablesConnectionString: string;
  }
}

/** One in-memory Azurite for the whole run; each test server uses its own table prefix. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('tablesConnectionString', azurite.connectionString);
  return () => azurite.close();
}
