/**
 * A minimal MCP Apps host for the browser tests: it loads a view in a sandboxed iframe and speaks
 * the host side of the bridge with the package's own AppBridge and PostMessageTransport. Tool calls
 * the view makes go to `hostCallTool`, which the test provides (it forwards them to the server).
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';

interface HostWindow extends Window {
  hostCallTool(name: string, args: Record<string, unknown> | undefined): Promise<unknown>;
  startHost(html: string, hostContext: Record<string, unknown>): Promise<void>;
  sendResult(result: unknown): Promise<void>;
}
const w = window as unknown as HostWindow;
let bridge: AppBridge | undefined;

w.startHost = async (html, hostContext) => {
  const iframe = document.createElement('iframe');
  // Scripts only: no same origin, no forms, no top navigation (as hosts sandbox views).
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.title = 'MCP App view';
  iframe.style.cssText = 'width: 960px; height: 640px; border: 1px solid #888';
  document.body.append(iframe);
  const b = new AppBridge(null, { name: 'browser-test-host', version: '1.0.0' }, { serverTools: {}, openLinks: {}, logging: {} }, { hostContext });
  b.oncalltool = async (params) => (await w.hostCallTool(params.name, params.arguments)) as never;
  const initialized = new Promise<void>((resolve) => {
    b.oninitialized = () => resolve();
  });
  await b.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  iframe.srcdoc = html;
  await initialized;
  bridge = b;
};

w.sendResult = async (result) => {
  await bridge!.sendToolResult(result as never);
};
