/**
 * Builds the interactive views (src/tools/views/catalog.ts) from views/*.ts into one
 * self-contained HTML page each in dist/views/: the script (the view and the MCP Apps bridge of
 * @modelcontextprotocol/ext-apps, bundled and minified by esbuild) and the styles inline, and a
 * Content-Security-Policy that allows no origin at all, so a view can load nothing from anywhere.
 * `npm run build` and the test setup run it; it prints each page's size against its budget.
 *
 * Budgets: the bridge alone bundles to about 650 KB (it is the SDK's Protocol with its schemas),
 * so a page's own code is held to VIEW_CODE_BUDGET on top of a bundle of the bridge alone, and the
 * whole page to PAGE_BUDGET.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { build } from 'esbuild';

import { VIEW_CONFIG_PLACEHOLDER, VIEWS, type ViewSpec } from '../src/tools/views/catalog.js';
import { ROOT } from './bundleFunctions.js';

export const VIEWS_OUT = 'dist/views';
export const VIEW_CODE_BUDGET = 60 * 1024;
export const PAGE_BUDGET = 800 * 1024;

/** Nothing from anywhere: inline script and styles only, images as data: URIs. */
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'";

async function bundle(root: string, contents: string | undefined, entry: string | undefined): Promise<string> {
  const result = await build({
    ...(entry ? { entryPoints: [entry] } : { stdin: { contents: contents ?? '', resolveDir: root, loader: 'ts' } }),
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  // Inline in <script>: no sequence may end the element early.
  return result.outputFiles[0]!.text.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

function page(view: ViewSpec, script: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    `<title>${view.title}</title>`,
    `<script type="application/json" id="view-config">${VIEW_CONFIG_PLACEHOLDER}</script>`,
    '</head>',
    '<body>',
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export interface BuiltView {
  name: string;
  bytes: number;
  ownBytes: number;
}

/** Builds every view; refuses one over its budget. */
export async function buildViews(root = ROOT): Promise<BuiltView[]> {
  const out = join(root, VIEWS_OUT);
  await mkdir(out, { recursive: true });
  const bridge = (await bundle(root, "import { App } from '@modelcontextprotocol/ext-apps'; new App({ name: 'x', version: '1' }).connect();", undefined)).length;
  const built: BuiltView[] = [];
  for (const view of VIEWS) {
    const html = page(view, await bundle(root, undefined, join(root, 'views', view.entry)));
    const bytes = Buffer.byteLength(html);
    const ownBytes = Math.max(0, bytes - bridge);
    if (ownBytes > VIEW_CODE_BUDGET || bytes > PAGE_BUDGET) {
      throw new Error(`view ${view.name} is ${bytes} bytes (${ownBytes} of its own): the budgets are ${PAGE_BUDGET} and ${VIEW_CODE_BUDGET}.`);
    }
    await writeFile(join(out, `${view.name}.html`), html);
    built.push({ name: view.name, bytes, ownBytes });
  }
  return built;
}

/** Whether any view source or the bridge package is newer than the built pages. */
export function viewsStale(root = ROOT): boolean {
  const sources = [join(root, 'views'), join(root, 'src/tools/views/catalog.ts'), join(root, 'node_modules/@modelcontextprotocol/ext-apps/package.json')];
  const newest = Math.max(...sources.flatMap((s) => (existsSync(s) ? [statSync(s).mtimeMs, ...(statSync(s).isDirectory() ? listMtimes(s) : [])] : [])));
  return VIEWS.some((v) => {
    const file = join(root, VIEWS_OUT, `${v.name}.html`);
    return !existsSync(file) || statSync(file).mtimeMs < newest;
  });
}

function listMtimes(dir: string): number[] {
  return VIEWS.map((v) => join(dir, v.entry)).concat(join(dir, 'kit.ts')).filter(existsSync).map((f) => statSync(f).mtimeMs);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quiet = process.argv.includes('--quiet');
  if (process.argv.includes('--if-changed') && !viewsStale()) process.exit(0);
  const built = await buildViews();
  if (!quiet) for (const v of built) console.log(`${v.name}: ${(v.bytes / 1024).toFixed(0)} KB (${(v.ownBytes / 1024).toFixed(1)} KB of its own; budgets ${PAGE_BUDGET / 1024} and ${VIEW_CODE_BUDGET / 1024} KB)`);
}
