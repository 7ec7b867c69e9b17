import type { TelemetryClient } from 'applicationinsights';

import type { Logger } from './log.js';
import type { TelemetryRecord, TelemetrySink } from './telemetry.js';

/**
 * The only importer of applicationinsights. Its module graph costs about a second to load, so it
 * is imported only once the first exchange has been answered (or `loadAfterMs` after start, for
 * hosts that serve no exchange, e.g. the sweep timer), never on the first request's path. Records
 * made before it is loaded wait in a bounded buffer.
 *
 * The client uses its own OpenTelemetry providers (`useGlobalProviders: false`): no automatic
 * collection of HTTP requests, dependencies, console or exceptions, whose URLs and messages would
 * carry query values. Only the vetted records of telemetry.ts are sent.
 */
export interface AppInsightsSinkOptions {
  connectionString: string;
  log: Logger;
  /** Load anyway after this long without an exchange (default 10 s). */
  loadAfterMs?: number;
  /** Records kept while the SDK loads; later ones are counted and dropped. */
  bufferLimit?: number;
  /** How the SDK is loaded (tests count the loads). */
  importSdk?: () => Promise<Pick<typeof import('applicationinsights'), 'TelemetryClient'>>;
}

export function appInsightsSink(options: AppInsightsSinkOptions): TelemetrySink {
  const limit = options.bufferLimit ?? 2000;
  let buffer: TelemetryRecord[] | undefined = [];
  let dropped = 0;
  let client: TelemetryClient | undefined;
  let loading: Promise<void> | undefined;

  const load = (): Promise<void> => {
    loading ??= (options.importSdk ?? (() => import('applicationinsights')))()
      .then(({ TelemetryClient }) => {
        // The cloud role name comes from OTEL_SERVICE_NAME (an app setting in infra/).
        const created = new TelemetryClient(options.connectionString, { useGlobalProviders: false });
        for (const record of buffer ?? []) send(created, record);
        if (dropped > 0) options.log.warn('telemetry records dropped while Application Insights loaded', { dropped });
        buffer = undefined;
        client = created;
      })
      .catch((err: unknown) => {
        buffer = undefined;
        options.log.warn('telemetry disabled', { error: err instanceof Error ? err.message : String(err) });
      });
    return loading;
  };

  const timer = setTimeout(() => void load(), options.loadAfterMs ?? 10_000);
  timer.unref();

  return {
    emit(record) {
      if (client) return send(client, record);
      if (!buffer) return;
      if (buffer.length < limit) buffer.push(record);
      else dropped++;
    },
    idle() {
      if (loading) return;
      clearTimeout(timer);
      // After the response is on its way: the import's CPU time lands between requests.
      setImmediate(() => void load()).unref();
    },
    async flush() {
      clearTimeout(timer);
      await load();
      await client?.flush();
    },
  };
}

function send(client: TelemetryClient, record: TelemetryRecord): void {
  switch (record.type) {
    case 'request':
      client.trackRequest({
        // Same operation id as the exchange's dependencies and events (the X-Request-Id, without dashes).
        ...(record.operationId && { id: record.operationId }),
        name: record.name,
        time: new Date(record.time),
        duration: record.durationMs,
        resultCode: String(record.resultCode),
        success: record.success,
        properties: record.properties,
      });
      return;
    case 'dependency':
      client.trackDependency({
        ...(record.operationId && { id: record.operationId }),
        name: record.name,
        // As an HTTP call, so the portal shows its target, status and the application map; the
        // URL is built by telemetry.ts from the host and the entity set or table alone.
        dependencyTypeName: 'HTTP',
        data: record.url,
        time: new Date(record.time),
        duration: record.durationMs,
        resultCode: record.resultCode,
        success: record.success,
        properties: { ...record.properties, system: record.system, 'http.method': record.method },
      });
      return;
    case 'event':
      client.trackEvent({ name: record.name, time: new Date(record.time), properties: { ...record.properties, ...(record.operationId && { operationId: record.operationId }) } });
      return;
    case 'metric':
      client.trackMetric({ name: record.name, value: record.value, time: new Date(record.time), properties: record.properties });
      return;
  }
}
