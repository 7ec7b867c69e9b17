/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the share of non-idle time per package or node
 * subsystem (self time), and the functions with the most self time. `npm run bench -- --cpu-prof DIR`
 * prints it for our server process; it also runs on its own:
 *
 *   node dist/scripts/cpuProfileSummary.js DIR|FILE.cpuprofile [rows]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, a node subsystem, a folder of ours, or a VM pseudo-frame. */
function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return '(garbage collection)';
  if (functionName === '(program)' || functionName === '(idle)') return functionName;
  if (!url) return `native ${functionName || '(anonymous)'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  // node:internal/<subsystem> (webstreams, abort_controller, streams, http…) says more than node:internal.
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, url.startsWith('node:internal/') ? 2 : 1).join('/')}`;
  const ours = /\/dist\/(src\/[^/]+|scripts|functions)\//.exec(url);
  return ours ? `ours ${ours[1]}` : url;
}

export function summariseCpuProfile(path: string, rows = 15): string {
  const file = statSync(path).isDirectory()
    ? join(
        path,
        readdirSync(path)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort()
          .pop() ?? '',
      )
    : path;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) nodes.get(c)!.parent = n.id;
  const byCategory = new Map<string, number>();
  const onStack = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') return;
    busy += dt;
    const category = categoryOf(node.callFrame);
    byCategory.set(category, (byCategory.get(category) ?? 0) + dt);
    const where = node.callFrame.url ? ` ${node.callFrame.url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber + 1}` : '';
    const fn = `${node.callFrame.functionName || '(anonymous)'}${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
    // Inclusive: each category counted once per sample if any of its frames is on the stack.
    const seen = new Set<string>();
    for (let at: ProfileNode | undefined = node; at; at = at.parent === undefined ? undefined : nodes.get(at.parent)) seen.add(categoryOf(at.callFrame));
    for (const c of seen) onStack.set(c, (onStack.get(c) ?? 0) + dt);
  });
  const pct = (v: number) => `${((v / busy) * 100).toFixed(1).padStart(5)} %`;
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(([k, v]) => `  ${pct(v)}  ${k}`);
  return [
    `CPU profile ${file}: ${(busy / 1e6).toFixed(1)} s of non-idle samples (the emulator and identity provider share the process)`,
    ' self time by package / subsystem:',
    ...top(byCategory),
    ' on the stack (inclusive) by package / subsystem:',
    ...top(onStack),
    ' functions with the most self time:',
    ...top(byFunction),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = process.argv[2];
  if (!target) {
    process.stderr.write('usage: node dist/scripts/cpuProfileSummary.js DIR|FILE.cpuprofile [rows]\n');
    process.exit(2);
  }
  process.stdout.write(`${summariseCpuProfile(target, Number(process.argv[3] ?? 15))}\n`);
}
