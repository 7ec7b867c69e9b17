/**
 * The dependency rules of the design (../shared/docs/ARCHITECTURE.md), checked in `npm test`:
 * functions/ and the dev host → app → http → auth, sessions, mcp → tools → dataverse, copilot →
 * config. Type-only imports count too: a type is a dependency of the design as much as a value.
 */
const layer = (name, path, mayNot, comment) => ({ name, severity: 'error', comment, from: { path }, to: { path: mayNot } });

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Modules depend in one direction.', from: {}, to: { circular: true } },
    {
      name: 'azure-functions-only-in-functions',
      severity: 'error',
      comment: 'Only the thin Functions adapter knows the Functions runtime; everything else serves plain web Requests.',
      from: { pathNot: '^functions/' },
      to: { path: '@azure/functions' },
    },
    {
      name: 'applicationinsights-only-in-telemetry',
      severity: 'error',
      comment: 'One place configures telemetry.',
      from: { pathNot: '^src/telemetry/' },
      to: { path: 'applicationinsights' },
    },
    {
      name: 'no-emulator-on-the-request-path',
      severity: 'error',
      comment: 'The emulator and the dev host are for npm start and the tests; nothing a deployment runs may load them.',
      from: { path: '^(functions|src)/', pathNot: '^src/(dev|emulator)/' },
      to: { path: '^src/(dev|emulator)/' },
    },
    layer('app-is-composed-only-by-hosts', '^src/(?!app/|dev/)', '^src/app/', 'buildApp is called by the Functions entry and the dev host, never from inside.'),
    layer('http-only-adapts-http', '^src/http/', '^src/(tools|dataverse|copilot)/', 'The HTTP layer reaches tools and Dataverse only through the MCP layer and what buildApp wires.'),
    layer('mcp-below-http', '^src/mcp/', '^src/(http|app)/', 'The MCP layer does not know how it is hosted.'),
    layer('sessions-and-auth-below-mcp', '^src/(sessions|auth)/', '^src/(mcp|http|app|tools)/', 'Sessions and identity do not know the protocol or the tools.'),
    layer('tools-below-mcp', '^src/tools/', '^src/(mcp|http|app|sessions|telemetry/appInsights)', 'Tools see only (args, ctx).'),
    {
      name: 'tools-know-the-principal-only',
      severity: 'error',
      comment: 'Tools see who the user is (a Principal), nothing of token handling.',
      from: { path: '^src/tools/' },
      to: { path: '^src/auth/', pathNot: '^src/auth/(principal|oboError)\\.ts$' },
    },
    {
      name: 'tools-call-only-the-copilot-provider',
      severity: 'error',
      comment: 'Tools reach the generators only through ctx.copilot; of src/copilot they share its types, the facts, the text helpers and the next-step rules.',
      from: { path: '^src/tools/' },
      to: { path: '^src/copilot/', pathNot: '^src/copilot/(provider|facts|text|nextStep)\\.ts$' },
    },
    layer('dataverse-and-copilot-below-tools', '^src/(dataverse|copilot)/', '^src/(tools|mcp|http|app|sessions|auth)/', 'Dataverse and the generators know nothing of tools or requests.'),
    {
      name: 'config-is-the-core',
      severity: 'error',
      comment: 'Configuration imports nothing of the app but the settings types the tools declare (tool sets, research profile, prioritisation).',
      from: { path: '^src/config/' },
      to: { path: '^src/(?!config/)', pathNot: '^src/tools/(toolsets|research/settings|sales/settings)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
