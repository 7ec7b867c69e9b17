export { fixturePrompts, fixtureResources, fixtureTools } from './fixture.js';

/**
 * The test-only route that carries the fixture (`npm run conformance` and the tests add it to the
 * product agents, with ENABLE_TEST_AGENTS=true; a deployment refuses that setting).
 */
export const CONFORMANCE_AGENT = {
  id: 'conformance',
  title: 'Conformance fixture',
  description: "The official MCP conformance suite's fixture surface; never served by a deployment.",
  toolsets: ['conformance'],
  testOnly: true,
} as const;
