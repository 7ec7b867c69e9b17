/**
 * What every view shares: the bridge to the host (the MCP Apps `App` of
 * @modelcontextprotocol/ext-apps; the wire format is the package's), the host's theme and locale,
 * and small DOM helpers. Views get their data from tool results and call tools through the host,
 * never Dataverse: the user's confirmation and the server's checks stay in the path.
 */
import { App, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';

export interface ToolResultLike {
  structuredContent?: Record<string, unknown>;
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

/** What the server put in the page for this agent (tool names as the agent serves them). */
export function viewConfig<T>(): T {
  // Read once: the page does not change it, and amounts ask for the currency on every render.
  config ??= JSON.parse(document.getElementById('view-config')?.textContent ?? '{}') as unknown;
  return config as T;
}
let config: unknown;

export interface ViewHandle {
  app: App;
  /** The host's locale (BCP 47), else the browser's. */
  locale(): string;
  timeZone(): string | undefined;
}

/** Connects to the host and renders every tool result it sends; follows its theme. */
export async function startView(name: string, render: (result: ToolResultLike, view: ViewHandle) => void): Promise<ViewHandle> {
  const app = new App({ name, version: '1.0.0' });
  const view: ViewHandle = {
    app,
    locale: () => app.getHostContext()?.locale ?? navigator.language ?? 'en-US',
    timeZone: () => app.getHostContext()?.timeZone,
  };
  app.ontoolresult = (result) => render(result as ToolResultLike, view);
  app.onhostcontextchanged = () => applyTheme(app.getHostContext());
  await app.connect();
  applyTheme(app.getHostContext());
  return view;
}

/** The host's light or dark theme, and its CSS variables where it sends them. */
function applyTheme(context: McpUiHostContext | undefined): void {
  const root = document.documentElement;
  root.dataset['theme'] = context?.theme === 'dark' ? 'dark' : 'light';
  const variables = (context?.styles as { variables?: Record<string, string | undefined> } | undefined)?.variables ?? {};
  for (const [k, v] of Object.entries(variables)) if (k.startsWith('--') && typeof v === 'string') root.style.setProperty(k, v);
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

export function formatDate(iso: string | undefined, view: ViewHandle): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  // A date-only value (DateOnly columns) is a calendar day: no time, and no time zone to shift it.
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return new Intl.DateTimeFormat(view.locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
  const zone = view.timeZone();
  return new Intl.DateTimeFormat(view.locale(), { dateStyle: 'medium', timeStyle: 'short', ...(zone && { timeZone: zone }) }).format(d);
}

/** An amount in the org's base currency (told to the page by the server), in the host's locale; a plain number where the currency is unknown. */
export function formatMoney(value: number | undefined, view: ViewHandle): string {
  const currency = viewConfig<{ currency?: string }>().currency;
  if (value === undefined) return '—';
  return currency ? new Intl.NumberFormat(view.locale(), { style: 'currency', currency }).format(value) : formatNumber(value, view, 2);
}

export function formatNumber(value: number | undefined, view: ViewHandle, digits = 0): string {
  return value === undefined ? '—' : new Intl.NumberFormat(view.locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

/** A polite live region: what an action did, read out by screen readers. */
export function announce(region: HTMLElement, message: string): void {
  region.textContent = message;
}

/** The first text block of a result (the tool's own summary, or its error). */
export function resultText(result: ToolResultLike): string {
  return result.content?.find((c) => c.type === 'text')?.text ?? '';
}

/** The styles every view shares: system fonts, the host's colours when given, visible focus, AA contrast. */
export const BASE_CSS = `
:root { color-scheme: light dark; --fg: #1b1b1f; --bg: #ffffff; --muted: #4a4a55; --line: #d4d4dc; --accent: #0b5cad; --accent-fg: #ffffff; --hot: #a4262c; --ok: #107c10;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
:root[data-theme="dark"] { --fg: #f3f3f5; --bg: #1e1e22; --muted: #c2c2cc; --line: #4a4a55; --accent: #6cb4ff; --accent-fg: #0b0b0f; --hot: #ff8a8f; --ok: #7fd67f; }
body { margin: 0; padding: 12px; color: var(--color-text-primary, var(--fg)); background: var(--color-background-primary, var(--bg)); }
h1 { font-size: 16px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); padding-bottom: 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th button { all: unset; cursor: pointer; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
button.action { background: var(--accent); color: var(--accent-fg); border: 0; border-radius: 4px; padding: 4px 10px; cursor: pointer; font: inherit; }
button.action[disabled] { opacity: 0.6; cursor: default; }
button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.hot { color: var(--hot); font-weight: 600; }
.muted { color: var(--muted); }
.status { min-height: 1.4em; margin-top: 8px; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 10px; padding: 6px 10px; display: flex; gap: 12px; flex-wrap: wrap; align-items: end; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
input[type=number] { width: 5em; font: inherit; color: inherit; background: transparent; border: 1px solid var(--line); border-radius: 4px; padding: 2px 4px; }
`;

/** An SLA KPI as the case tools return it. */
export interface KpiView {
  kpi: 'first_response' | 'resolve_by';
  name: string;
  status: string;
  state: string;
  failureTime?: string;
  minutesLeft?: number;
  atRisk: boolean;
}

/** One KPI as a labelled chip: at risk or breached in the warning colour, with the time left. */
export function kpiChip(k: KpiView, view: ViewHandle): HTMLElement {
  const left = k.minutesLeft === undefined ? '' : k.minutesLeft < 0 ? `, ${duration(-k.minutesLeft, view)} overdue` : `, ${duration(k.minutesLeft, view)} left`;
  const label = `${k.kpi === 'first_response' ? 'First response' : 'Resolve by'}: ${k.status}${left}`;
  return el('span', { class: `chip${k.atRisk ? ' hot' : ''}`, 'data-kpi': k.kpi, 'data-state': k.state }, label);
}

/** Minutes as the host's locale says them, in the largest whole unit that fits (90 min, 5 hours, 26 days). */
export function duration(minutes: number, view: ViewHandle): string {
  const [value, unit] = minutes < 120 ? [minutes, 'minute'] : minutes < 48 * 60 ? [minutes / 60, 'hour'] : [minutes / 1440, 'day'];
  return new Intl.NumberFormat(view.locale(), { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 0 }).format(Math.round(value));
}

/** Runs a tool through the host with its button disabled meanwhile; errors are announced. */
export async function callThroughHost(view: ViewHandle, status: HTMLElement, name: string, args: Record<string, unknown>, button: HTMLButtonElement | undefined, then: (result: ToolResultLike) => void): Promise<void> {
  if (button) button.disabled = true;
  try {
    const result = (await view.app.callServerTool({ name, arguments: args })) as ToolResultLike;
    if (result.isError) announce(status, resultText(result) || `${name} failed.`);
    else then(result);
  } catch (err) {
    announce(status, `The host could not call ${name}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (button) button.disabled = false;
  }
}

/**
 * A write through the host: the server answers with its preview; only the user's "Confirm" sends
 * the handle back (the server's own confirmation, never skipped).
 */
export function confirmThroughHost(view: ViewHandle, status: HTMLElement, name: string, args: Record<string, unknown>, button: HTMLButtonElement, done: (result: ToolResultLike) => void): Promise<void> {
  return callThroughHost(view, status, name, args, button, (result) => {
    const data = result.structuredContent as { status?: string; confirmation?: { handle: string; summary: string } } | undefined;
    if (data?.status !== 'confirmation_required' || !data.confirmation) {
      done(result);
      return;
    }
    const { handle, summary } = data.confirmation;
    const confirm = el('button', { type: 'button', class: 'action', 'aria-label': `Confirm: ${summary}` }, 'Confirm');
    const cancel = el('button', { type: 'button' }, 'Cancel');
    status.replaceChildren(el('span', {}, `${summary} `), confirm, ' ', cancel);
    cancel.addEventListener('click', () => announce(status, 'Nothing was changed.'));
    confirm.addEventListener('click', () => void callThroughHost(view, status, name, { ...args, confirmationHandle: handle }, confirm, done));
    confirm.focus();
  });
}

/** The page skeleton every view starts from: its styles, a main region with a heading, a live status line. */
export function page(title: string, extraCss = ''): { main: HTMLElement; status: HTMLElement } {
  const style = document.createElement('style');
  style.textContent = BASE_CSS + extraCss;
  document.head.append(style);
  const main = el('main', { 'aria-labelledby': 'title' });
  const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  document.body.append(main, status);
  main.append(el('h1', { id: 'title' }, title), el('p', { class: 'muted' }, 'Waiting for a result…'));
  return { main, status };
}

export const CHIP_CSS = `.chip { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; margin: 0 4px 2px 0; font-size: 12px; }
.chip.hot { border-color: var(--hot); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 10px; }
dt { color: var(--muted); }
section { margin-top: 12px; }
h2 { font-size: 14px; margin: 0 0 6px; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.plain li { border-bottom: 1px solid var(--line); padding: 4px 0; }
.actions { display: flex; gap: 8px; margin-top: 10px; flex-wrap: wrap; }
select, input[type=search], textarea { font: inherit; color: inherit; background: transparent; border: 1px solid var(--line); border-radius: 4px; padding: 2px 4px; }
textarea { width: 100%; min-height: 8em; }`;
