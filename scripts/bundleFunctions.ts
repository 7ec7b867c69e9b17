/**
 * Bundles the Azure Functions entries (functions/*.ts) with esbuild: one ESM file per entry in
 * dist/bundle/, the code they share in dist/bundle/chunks/ (one copy of the app, of
 * @azure/functions and of its app.setup for all entries, as the host loads every entry into one
 * worker). `npm run build` runs it; package.json's `main` points at the entries.
 *
 * Externals, and why they must be:
 * - `@azure/functions-core` does not exist on disk: the Functions worker provides it to `require`.
 * - `applicationinsights` (loaded lazily by src/telemetry) reads its own package files and
 *   optional instrumentations at run time; it ships in node_modules as a production dependency.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

import { build, type Metafile } from 'esbuild';

/** The project root, from scripts/ (vitest) or dist/scripts/ (compiled) alike. */
export const ROOT = (() => {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
export const BUNDLE_DIR = 'dist/bundle';
export const EXTERNALS = ['@azure/functions-core', 'applicationinsights'] as const;

/** The function entries: every module in functions/ that registers functions (runtime.ts is shared code). */
export function functionEntries(root = ROOT): string[] {
  return readdirSync(join(root, 'functions'))
    .filter((f) => f.endsWith('.ts') && f !== 'runtime.ts')
    .sort()
    .map((f) => join('functions', f));
}

export interface BundleResult {
  outdir: string;
  /** Output files, relative to `outdir`. */
  entries: string[];
  chunks: string[];
  /** Every source file that went in (relative to the project root). */
  inputs: string[];
  skipped: boolean;
}

const META_FILE = 'meta.json';

/**
 * Builds the bundles into `outdir` (default dist/bundle). With `ifChanged`, nothing is rebuilt when
 * no input of the previous build is newer than it (npm start runs the build on every start).
 */
export async function bundleFunctions(options: { root?: string; outdir?: string; ifChanged?: boolean } = {}): Promise<BundleResult> {
  const root = options.root ?? ROOT;
  const outdir = options.outdir ?? join(root, BUNDLE_DIR);
  const entryPoints = functionEntries(root).map((f) => join(root, f));
  if (options.ifChanged) {
    const previous = await upToDate(root, outdir, entryPoints);
    if (previous) return { ...summarise(previous, root, outdir), skipped: true };
  }
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    outbase: join(root, 'functions'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    external: [...EXTERNALS],
    // CommonJS dependencies call require(); in an ES module it has to be made.
    banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
    // Whitespace and syntax only: names stay, so stack traces and error names read as in the sources
    // (full minification measured no faster to import).
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    sourcemap: 'linked',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  await mkdir(outdir, { recursive: true });
  await writeFile(join(outdir, META_FILE), JSON.stringify(result.metafile));
  return { ...summarise(result.metafile, root, outdir), skipped: false };
}

function summarise(metafile: Metafile, root: string, outdir: string): Omit<BundleResult, 'skipped'> {
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
  const rel = (file: string) => relative(outdir, join(root, file));
  // Lazily imported modules (e.g. @azure/identity) are entry points to esbuild too; only functions/ ones are ours.
  const isEntry = (o: Metafile['outputs'][string]) => o.entryPoint?.startsWith('functions/') === true;
  return {
    outdir,
    entries: outputs.filter(([, o]) => isEntry(o)).map(([f]) => rel(f)).sort(),
    chunks: outputs.filter(([, o]) => !isEntry(o)).map(([f]) => rel(f)).sort(),
    inputs: Object.keys(metafile.inputs).sort(),
  };
}

/** The previous build's metafile when every input (and the lock file) is older than it. */
async function upToDate(root: string, outdir: string, entryPoints: string[]): Promise<Metafile | undefined> {
  let built: number;
  let metafile: Metafile;
  try {
    built = statSync(join(outdir, META_FILE)).mtimeMs;
    metafile = JSON.parse(await readFile(join(outdir, META_FILE), 'utf8')) as Metafile;
  } catch {
    return undefined;
  }
  const entriesNow = entryPoints.map((e) => relative(root, e)).sort();
  const entriesThen = Object.values(metafile.outputs).flatMap((o) => (o.entryPoint?.startsWith('functions/') ? [o.entryPoint] : [])).sort();
  if (JSON.stringify(entriesNow) !== JSON.stringify(entriesThen)) return undefined;
  for (const input of [...Object.keys(metafile.inputs), 'package-lock.json']) {
    try {
      if (statSync(join(root, input)).mtimeMs > built) return undefined;
    } catch {
      return undefined;
    }
  }
  return metafile;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const result = await bundleFunctions({ ifChanged: args.includes('--if-changed') });
  if (!args.includes('--quiet')) {
    const what = result.skipped ? 'up to date' : `built ${result.entries.length} entries and ${result.chunks.length} shared chunks from ${result.inputs.length} sources`;
    process.stdout.write(`Functions bundle (${relative(process.cwd(), result.outdir) || '.'}): ${what}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`Bundling failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
