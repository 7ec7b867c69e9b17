import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import type { Resource } from '@modelcontextprotocol/server';

import type { ResourceSource, SurfaceContext } from '../surface.js';
import { VIEW_CONFIG_PLACEHOLDER, VIEWS, viewHtml, type ViewSpec } from './catalog.js';

/** No origin at all: the page needs nothing outside itself (ext-apps McpUiResourceCsp, empty lists). */
const UI_META = { ui: { csp: { connectDomains: [], resourceDomains: [], frameDomains: [] }, prefersBorder: true } };

/** A view is served where the agent lists one of the tools it shows, and it was built. */
function served(ctx: SurfaceContext): ViewSpec[] {
  return VIEWS.filter((v) => v.tools.some((t) => ctx.serves(t)) && viewHtml(v) !== undefined);
}

/**
 * The page with the tools it may call, named as this agent serves them (a tool the agent does not
 * list is left out), and the org's base currency for amounts (left out where it cannot be read).
 */
async function pageFor(view: ViewSpec, ctx: SurfaceContext): Promise<string> {
  const calls = Object.entries(view.calls).flatMap(([key, tool]) => {
    const name = ctx.servedName(tool);
    return name ? [[key, name] as const] : [];
  });
  const currency = await ctx.metadata.baseCurrency().catch(() => null);
  const config = Object.fromEntries([...calls, ...(currency ? [['currency', currency] as const] : [])]);
  // JSON inside <script>: `<` escaped so no value can close the element.
  return viewHtml(view)!.replace(VIEW_CONFIG_PLACEHOLDER, JSON.stringify(config).replace(/</g, '\\u003c'));
}

/** The MCP Apps pages (`ui://`, text/html;profile=mcp-app) of the tools this agent serves. */
export const viewResources: ResourceSource = {
  toolsets: ['sales', 'service', 'casework', 'engagement', 'people', 'pipeline'],
  templates: [],
  async list(ctx) {
    return served(ctx).map((v): Resource => ({ uri: v.uri, name: v.name, title: v.title, description: v.description, mimeType: RESOURCE_MIME_TYPE, _meta: UI_META }));
  },
  async read(uri, ctx) {
    const view = served(ctx).find((v) => v.uri === uri);
    if (!view) return undefined;
    return { contents: [{ uri, mimeType: RESOURCE_MIME_TYPE, text: await pageFor(view, ctx), _meta: UI_META }] };
  },
};
