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

/** Creates clients for every table and makes sure the tables exist (idempotent). */
export async function openTables(connectionString: string, prefix: string): Promise<TableClients> {
  const options = clientOptions(connectionString);
  const service = TableServiceClient.fromConnectionString(connectionString, options);
  const clients = {} as TableClients;
  for (const name of TABLE_NAMES) {
    const tableName = `${prefix}${name}`;
    try {
      await service.createTable(tableName);
    } catch (err) {
      throw new StorageUnavailableError(`Could not reach Table Storage to prepare table ${tableName}.`, { cause: err });
    }
    clients[name] = TableClient.fromConnectionString(connectionString, tableName, options);
  }
  return clients;
}

/** The status code of an `@azure/data-tables` RestError, if that is what `err` is. */
export function storageStatus(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'statusCode' in err) {
    const code = (err as { statusCode?: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}
