import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';

/** The tables this service owns; all names share the configured prefix. */
export const TABLE_NAMES = ['sessions', 'handles', 'audit'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export type TableClients = Record<TableName, TableClient>;

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

function clientOptions(connectionString: string): TableServiceClientOptions {
  // Azurite and other loopback emulators speak plain http; the SDK refuses that unless told.
  return /TableEndpoint=http:|UseDevelopmentStorage=true/i.test(connectionString) ? { allowInsecureConnection: true } : {};
}

/** Clients for every table (no request is made). */
export function openTablesClients(connectionString: string, prefix: string): TableClients {
  const options = clientOptions(connectionString);
  const clients = {} as TableClients;
  for (const name of TABLE_NAMES) clients[name] = TableClient.fromConnectionString(connectionString, `${prefix}${name}`, options);
  return clients;
}

/** Creates clients for every table and makes sure the tables exist (idempotent). */
export async function openTables(connectionString: string, prefix: string): Promise<TableClients> {
  const service = TableServiceClient.fromConnectionString(connectionString, clientOptions(connectionString));
  for (const name of TABLE_NAMES) {
    const tableName = `${prefix}${name}`;
    try {
      await service.createTable(tableName);
    } catch (err) {
      throw new StorageUnavailableError(`Could not reach Table Storage to prepare table ${tableName}.`, { cause: err });
    }
  }
  return openTablesClients(connectionString, prefix);
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
