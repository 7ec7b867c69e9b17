import type { Logger } from './log.js';

/**
 * The only importer of applicationinsights. It adds ~0.9 s of module load, so it is loaded after
 * start-up, off the first request's path, and only when a connection string is configured.
 */
export function startTelemetry(connectionString: string, log: Logger): void {
  setTimeout(() => {
    import('applicationinsights')
      .then((ai) => {
        ai.setup(connectionString).setAutoCollectConsole(false).setSendLiveMetrics(false).start();
      })
      .catch((err: unknown) => log.warn('telemetry disabled', { error: err instanceof Error ? err.message : String(err) }));
  }, 0).unref();
}
