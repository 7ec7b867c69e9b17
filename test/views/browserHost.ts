import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { build } from 'esbuild';
import { type Browser, chromium, type FrameLocator, type Page } from 'playwright-core';

import type { TestServer } from '../helpers/harness.js';

/**
 * Runs a view the way a host does, in Debian's Chromium (playwright-core, no browser download):
 * the page the server serves goes into a sandboxed iframe of a small host that speaks the host
 * side of the bridge with the package's AppBridge (views/testing/host.ts). The tool result it is
 * fed is a real one from the server, and every tool call the view makes is recorded and forwarded
 * to the server as the signed-in user, so its checks and confirmations apply.
 */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-output', 'views');
/** CI installs Chromium (.ci/run); elsewhere the browser tests skip without it. */
export const BROWSER_AVAILABLE = existsSync(CHROMIUM);
if (!BROWSER_AVAILABLE && process.env['CI']) throw new Error(`Chromium is missing at ${CHROMIUM}: .ci/run installs it with apt-get.`);

export interface Call {
  name: string;
  args: Record<string, unknown>;
}

export interface HostedView {
  page: Page;
  client: Client;
  /** The view's document. */
  view(): FrameLocator;
  /** Tool calls the view made through the host, in order. */
  calls: Call[];
  /** The tool result the view was given. */
  result: { structuredContent: Record<string, unknown>; content: unknown[] };
  close(): Promise<void>;
}

let hostScript: Promise<string> | undefined;
function host(): Promise<string> {
  hostScript ??= build({ entryPoints: [join(ROOT, 'views/testing/host.ts')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'silent' }).then((r) => r.outputFiles[0]!.text.replace(/<\/script/g, '<\\/script'));
  return hostScript;
}

export interface HostOptions {
  agent: string;
  user: string;
  tool: string;
  args: Record<string, unknown>;
  uri: string;
  theme?: 'light' | 'dark';
  locale?: string;
  timeZone?: string;
}

export async function hostView(server: TestServer, browser: Browser, o: HostOptions): Promise<HostedView> {
  const client = new Client({ name: 'browser-host', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl(o.agent)), { requestInit: { headers: { Authorization: `Bearer ${await server.token(o.user)}` } } }));
  const result = (await client.callTool({ name: o.tool, arguments: o.args })) as HostedView['result'];
  const tools = (await client.listTools()).tools;
  const linked = (tools.find((t) => t.name === o.tool)?._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri;
  if (linked !== o.uri) throw new Error(`${o.tool} links ${String(linked)}, not ${o.uri}`);
  const html = ((await client.readResource({ uri: o.uri })).contents[0] as { text: string }).text;
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  const calls: Call[] = [];
  await page.exposeFunction('hostCallTool', async (name: string, args: Record<string, unknown> | undefined) => {
    calls.push({ name, args: args ?? {} });
    return client.callTool({ name, arguments: args ?? {} });
  });
  await page.setContent(`<!doctype html><html><body><script>${await host()}</script></body></html>`);
  const context = { theme: o.theme ?? 'light', locale: o.locale ?? 'en-US', ...(o.timeZone && { timeZone: o.timeZone }), toolInfo: { tool: tools.find((t) => t.name === o.tool) } };
  const start: { html: string; context: unknown } = { html, context };
  await page.evaluate((s) => (globalThis as unknown as { startHost(h: string, c: unknown): Promise<void> }).startHost(s.html, s.context), start);
  await page.evaluate((r) => (globalThis as unknown as { sendResult(r: unknown): Promise<void> }).sendResult(r), result);
  await mkdir(SCREENSHOTS, { recursive: true });
  return {
    page,
    client,
    calls,
    result,
    view: () => page.frameLocator('iframe'),
    close: async () => {
      await page.close();
      await client.close();
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * Text in the view whose contrast with its background is below WCAG AA (4.5:1): each visible
 * element with its own text, its computed colour, and the first opaque background behind it.
 * Runs in the view's frame (a string, so it needs no DOM types here).
 */
const CONTRAST_CHECK = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length >= 3 && (c[3] === undefined || c[3] > 0.5)) return c; } return [255, 255, 255]; };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === 'hidden' || style.display === 'none' || el.closest('[disabled]')) continue;
    const [a, b] = [lum(rgb(style.color)), lum(bg(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) out.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return out;
})()`;

export async function contrastProblems(h: HostedView): Promise<string[]> {
  const frame = h.page.frames().find((f) => f !== h.page.mainFrame());
  if (!frame) throw new Error('the view frame is not there');
  return (await frame.evaluate(CONTRAST_CHECK)) as string[];
}
