import type { AppConfig } from '../config/config.js';
import { appInsightsSink } from './appInsights.js';
import { createLogger, type Logger } from './log.js';
import { createTelemetry, hostOf, logSink, type Telemetry, type TelemetryClock, type TelemetrySink } from './telemetry.js';

/**
 * The telemetry the configuration asks for: Application Insights with a connection string,
 * structured log lines with LOG_FORMAT=json, both, or none (then every call is a no-op). `tools`:
 * every tool name the server has (the only tool names telemetry will record).
 */
export function telemetryFromConfig(config: AppConfig, log: Logger, options: { tools: readonly string[]; clock?: TelemetryClock }): Telemetry {
  const sinks: TelemetrySink[] = [];
  if (config.appInsightsConnectionString) sinks.push(appInsightsSink({ connectionString: config.appInsightsConnectionString, log }));
  // Its own logger at info: the host's logger may be quieter (npm start logs warnings only).
  if (config.logFormat === 'json') sinks.push(logSink(createLogger('info', { component: 'telemetry' })));
  const dataverseHost = hostOf(config.dataverse.url);
  const tablesHost = hostOf(config.tables.accountUrl) ?? tableEndpointHost(config.tables.connectionString);
  return createTelemetry({
    sinks,
    agents: config.agents.map((a) => a.id),
    tools: options.tools,
    log,
    ...(dataverseHost && { dataverseHost }),
    ...(tablesHost && { tablesHost }),
    ...(options.clock && { clock: options.clock }),
  });
}

/** The table endpoint's host of a connection string (never the key). */
function tableEndpointHost(connectionString: string | undefined): string | undefined {
  if (!connectionString) return undefined;
  if (/UseDevelopmentStorage=true/i.test(connectionString)) return '127.0.0.1:10002';
  const endpoint = /(?:^|;)\s*TableEndpoint=([^;]+)/i.exec(connectionString)?.[1];
  if (endpoint) return hostOf(endpoint);
  const account = /(?:^|;)\s*AccountName=([^;]+)/i.exec(connectionString)?.[1];
  const suffix = /(?:^|;)\s*EndpointSuffix=([^;]+)/i.exec(connectionString)?.[1] ?? 'core.windows.net';
  return account && /^[a-z0-9]{3,24}$/.test(account) ? `${account}.table.${suffix}` : undefined;
}
