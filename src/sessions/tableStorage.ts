import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';

import type { TablesConfig } from '../config/config.js';
import type { StorageCallFacts } from '../telemetry/telemetry.js';

/** The tables this service owns; all names share the configured prefix. */
export const TABLE_NAMES = ['sessions', 'handles', 'audit', 'decisions', 'chats'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export type TableClients = Record<TableName, TableClient>;

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Where the tables are: a connection string (Azurite locally, or account keys), or, in Azure, the
 * account's table endpoint reached with a managed identity (the storage account has shared keys off).
 */
export type TablesLocation =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'identity'; accountUrl: string; managedIdentityClientId?: string };

/** The location the configuration names (TABLES_ACCOUNT_URL or TABLES_CONNECTION_STRING), if any. */
export function tablesLocation(config: Pick<TablesConfig, 'connectionString' | 'accountUrl' | 'managedIdentityClientId'>): TablesLocation | undefined {
  if (config.accountUrl) {
    return { kind: 'identity', accountUrl: config.accountUrl, ...(config.managedIdentityClientId && { managedIdentityClientId: config.managedIdentityClientId }) };
  }
  return config.connectionString ? { kind: 'connection-string', connectionString: config.connectionString } : undefined;
}

export interface OpenTablesOptions {
  /** Told once per HTTP attempt (telemetry): method, table, status, duration, storage request id. */
  observe?: (call: StorageCallFacts) => void;
  /** For `identity` locations; default: the managed identity (or DefaultAzureCredential without a client id). */
  credential?: TokenCredential;
}

type PipelinePolicyConfig = NonNullable<TableServiceClientOptions['additionalPolicies']>[number];

function observerPolicy(table: string, observe: (call: StorageCallFacts) => void): PipelinePolicyConfig {
  const report = (call: StorageCallFacts) => {
    try {
      observe(call);
    } catch {
      // Telemetry never breaks a storage call.
    }
  };
  return {
    position: 'perRetry',
    policy: {
      name: 'mcpStorageTelemetry',
      async sendRequest(request, next) {
        const started = performance.now();
        try {
          const response = await next(request);
          report({ method: request.method, table, status: response.status, ms: performance.now() - started, requestId: response.headers.get('x-ms-request-id') ?? undefined });
          return response;
        } catch (err) {
          report({ method: request.method, table, status: storageStatus(err), ms: performance.now() - started, requestId: undefined });
          throw err;
        }
      },
    },
  };
}

function clientOptions(location: TablesLocation, table: string, options: OpenTablesOptions): TableServiceClientOptions {
  // Azurite and other loopback emulators speak plain http; the SDK refuses that unless told.
  const insecure = location.kind === 'connection-string' && /TableEndpoint=http:|UseDevelopmentStorage=true/i.test(location.connectionString);
  return {
    ...(insecure && { allowInsecureConnection: true }),
    ...(options.observe && { additionalPolicies: [observerPolicy(table, options.observe)] }),
  };
}

function asLocation(location: string | TablesLocation): TablesLocation {
  return typeof location === 'string' ? { kind: 'connection-string', connectionString: location } : location;
}

/**
 * The managed identity of the Function App (tables and queues share it); loaded only when an
 * account URL is configured.
 */
export async function storageCredential(managedIdentityClientId: string | undefined): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  return managedIdentityClientId ? new identity.ManagedIdentityCredential({ clientId: managedIdentityClientId }) : new identity.DefaultAzureCredential();
}

/** Clients for every table (no request is made). An `identity` location needs `options.credential`. */
export function openTablesClients(location: string | TablesLocation, prefix: string, options: OpenTablesOptions = {}): TableClients {
  const where = asLocation(location);
  const clients = {} as TableClients;
  for (const name of TABLE_NAMES) {
    const tableName = `${prefix}${name}`;
    const opts = clientOptions(where, tableName, options);
    if (where.kind === 'connection-string') {
      clients[name] = TableClient.fromConnectionString(where.connectionString, tableName, opts);
    } else {
      if (!options.credential) throw new Error('openTablesClients: an account URL needs a credential (openTables creates one).');
      clients[name] = new TableClient(where.accountUrl, tableName, options.credential, opts);
    }
  }
  return clients;
}

/** Creates clients for every table and makes sure the tables exist (idempotent). */
export async function openTables(location: string | TablesLocation, prefix: string, options: OpenTablesOptions = {}): Promise<TableClients> {
  const where = asLocation(location);
  const credential = where.kind === 'identity' ? (options.credential ?? (await storageCredential(where.managedIdentityClientId))) : undefined;
  const serviceOptions = clientOptions(where, 'Tables', options);
  const service = credential
    ? new TableServiceClient((where as Extract<TablesLocation, { kind: 'identity' }>).accountUrl, credential, serviceOptions)
    : TableServiceClient.fromConnectionString((where as Extract<TablesLocation, { kind: 'connection-string' }>).connectionString, serviceOptions);
  // In parallel: on a cold start these round trips are on the first request's path.
  await Promise.all(
    TABLE_NAMES.map(async (name) => {
      const tableName = `${prefix}${name}`;
      try {
        await service.createTable(tableName);
      } catch (err) {
        throw new StorageUnavailableError(`Could not reach Table Storage to prepare table ${tableName}.`, { cause: err });
      }
    }),
  );
  return openTablesClients(where, prefix, { ...options, ...(credential && { credential }) });
}

/** The status code of an `@azure/data-tables` RestError, if that is what `err` is. */
export function storageStatus(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'statusCode' in err) {
    const code = (err as { statusCode?: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** Runs a storage operation; any failure becomes a StorageUnavailableError saying what could not be done. */
export async function guardStorage<T>(op: () => Promise<T>, what: string): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new StorageUnavailableError(`Could not ${what}: storage is unavailable.`, { cause: err });
  }
}

/** Deletes every row whose `expiresAt` is before `now`; returns how many went. Rows already gone are skipped. */
export async function deleteExpiredRows(table: TableClient, now: number): Promise<number> {
  const cutoff = new Date(now).toISOString();
  let removed = 0;
  const rows = table.listEntities<{ partitionKey: string; rowKey: string }>({
    queryOptions: { filter: `expiresAt lt datetime'${cutoff}'`, select: ['partitionKey', 'rowKey'] },
  });
  for await (const row of rows) {
    try {
      await table.deleteEntity(row.partitionKey, row.rowKey);
      removed++;
    } catch (err) {
      if (storageStatus(err) !== 404) throw new StorageUnavailableError('Could not delete expired rows: storage is unavailable.', { cause: err });
    }
  }
  return removed;
}
