import { buildApp } from '../../src/app/buildApp.js';
import type { McpApp } from '../../src/http/mcpApp.js';
import { type NodeHost, startNodeHost } from '../../src/http/nodeHost.js';
import { silentLogger } from '../../src/telemetry/log.js';
import type { Telemetry } from '../../src/telemetry/telemetry.js';
import { TEST_QUEUE_POLL, type TestServer } from './harness.js';
import { ManualTimers } from './timers.js';

export interface Peer {
  app: McpApp;
  host: NodeHost;
  url: string;
  timers: ManualTimers;
  close(): Promise<void>;
}

/** Another instance on the same storage (own memory, relay, queue and streams), as a scale-out would add. */
export async function startPeer(a: TestServer, options: { queues?: Parameters<typeof buildApp>[0]['queues']; telemetry?: Telemetry } = {}): Promise<Peer> {
  const timers = new ManualTimers();
  const app = await buildApp({
    config: a.config,
    log: silentLogger,
    clock: a.clock.now,
    streamTimers: timers,
    queues: { poll: TEST_QUEUE_POLL, ...options.queues },
    ...(options.telemetry && { telemetry: options.telemetry }),
  });
  const host = await startNodeHost(app, { allowedOrigins: ['localhost'], allowedHosts: ['127.0.0.1', 'localhost'] });
  return {
    app,
    host,
    url: host.url,
    timers,
    close: async () => {
      await host.close();
      await app.close();
    },
  };
}
