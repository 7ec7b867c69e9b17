import type { Server } from 'node:http';
import { EmulatorCore } from './emulatorCore.js';
import type { SentEmail } from './emulatorCore.js';
import type { FaultController } from './faults.js';
import type { OrgProfile } from './metadata/standardTables.js';
import type { BulkLeadOptions, BulkLeadResult } from './seed/bulkLeads.js';
import { Faults } from './faults.js';
import type { EmulatorRequestLogEntry } from './http/createEmulatorServer.js';
import { createEmulatorServer, listen } from './http/createEmulatorServer.js';

export type { SentEmail } from './emulatorCore.js';
export type { FaultController, FaultRule } from './faults.js';
export type { OrgProfile } from './metadata/standardTables.js';
export type { BulkLeadOptions, BulkLeadResult } from './seed/bulkLeads.js';
export type { EmulatorRequestLogEntry } from './http/createEmulatorServer.js';
export { DEFAULT_SEED } from './emulatorCore.js';
export { LOCAL_TEAMS, LOCAL_TENANT_ID, LOCAL_USERS, findLocalUser } from './users.js';
export type { LocalTeam, LocalUser } from './users.js';

export interface EmulatorOptions {
  host?: string;
  port?: number;
  /** SQLite file for persistence across restarts; absent = in memory only. */
  dataFile?: string;
  /** Ignore/overwrite an existing dataFile and reseed. */
  reset?: boolean;
  /** The "now" seed dates are relative to; default: now. Stored in the db so a reload keeps its dates. */
  anchorTime?: Date;
  /** PRNG seed; default a fixed constant, so the org is identical every time for the same anchor. */
  seed?: number;
  /** Time source (ms since the epoch) the organisation's clock runs on; default the wall clock. */
  clock?: () => number;
  /** Optional solutions the org has installed; default every one the sample data uses. */
  profile?: OrgProfile;
  /** Rows one `$apply` may aggregate instead of Dataverse's 50,000 (tests of what happens past it). */
  aggregateRecordLimit?: number;
  /** Dataverse search enabled for the organisation (default true); off, its endpoints answer 400 0x80048d0b. */
  search?: boolean;
  /** Verifies the caller's bearer token (signature, issuer, audience, expiry are the caller's concern) and returns the Entra object id. Throw to refuse (-> 401). */
  verifyToken: (token: string) => Promise<{ objectId: string }>;
}

export interface EmulatorHandle {
  /** 'http://127.0.0.1:PORT', the "org URL"; the Web API lives at `${url}/api/data/v9.2/`. */
  url: string;
  faults: FaultController;
  /** Ring buffer of the last 1000 requests. */
  requests: ReadonlyArray<EmulatorRequestLogEntry>;
  clearRequests(): void;
  /** Emails "sent" by SendEmail (nothing leaves the machine). */
  outbox: ReadonlyArray<SentEmail>;
  /** Delivers the outbox as server-side sync would: Pending Send emails become Sent. Returns those delivered. */
  deliverMail(): SentEmail[];
  /** Adds many open leads with interactions and scores, as `POST /_emulator/seed/leads` does. */
  seedLeads(options: BulkLeadOptions): BulkLeadResult;
  /** Stops listening; persists to dataFile if set. */
  close(): Promise<void>;
}

/** Starts the local Dataverse Web API emulator over an embedded, seeded SQLite organisation. */
export async function startEmulator(options: EmulatorOptions): Promise<EmulatorHandle> {
  const core = await EmulatorCore.open({
    ...(options.dataFile !== undefined ? { dataFile: options.dataFile } : {}),
    ...(options.reset !== undefined ? { reset: options.reset } : {}),
    ...(options.anchorTime !== undefined ? { anchorTime: options.anchorTime } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.aggregateRecordLimit !== undefined ? { aggregateRecordLimit: options.aggregateRecordLimit } : {}),
    ...(options.search !== undefined ? { search: options.search } : {}),
  });
  const faults = new Faults();
  const log: EmulatorRequestLogEntry[] = [];
  const host = options.host ?? '127.0.0.1';
  let origin = '';
  const server: Server = createEmulatorServer({ core, faults, verifyToken: options.verifyToken, log }, () => origin);
  const address = await listen(server, host, options.port ?? 0);
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  let closed: Promise<void> | undefined;
  return {
    url: origin,
    faults,
    requests: log,
    clearRequests: () => {
      log.length = 0;
    },
    outbox: core.outbox,
    deliverMail: () => core.deliverMail(),
    seedLeads: (o) => core.seedLeads(o),
    close: () => {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await core.close();
      })();
      return closed;
    },
  };
}
