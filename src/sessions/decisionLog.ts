import { randomBytes } from 'node:crypto';

import { odata, type TableClient } from '@azure/data-tables';

import { type Principal, principalKey } from '../auth/principal.js';
import { guardStorage, StorageUnavailableError, storageStatus } from './tableStorage.js';

/** One decision as stored: who, when, on which agent, of which kind, and what the tool recorded. */
export interface StoredDecision {
  id: string;
  at: string;
  agentId: string;
  kind: string;
  username: string;
  /** The tool's own record, as it gave it (JSON). */
  payload: unknown;
}

interface DecisionEntity {
  partitionKey: string;
  rowKey: string;
  at: Date;
  agentId: string;
  kind: string;
  username: string;
  payload: string;
}

const MAX_TICKS = 10_000_000_000_000;
const ID = /^\d{13}_[0-9a-f]{12}$/;
/** A string property holds at most 64 KiB (32K UTF-16 characters) in Table Storage. */
const MAX_PAYLOAD_CHARS = 30_000;

/**
 * Decisions a tool made for a user (e.g. each lead ranking), kept so they can be reviewed later.
 * The partition is the user, so one user's entries are simply not found by another; row keys are
 * inverted timestamps, so a partition lists newest first. The store knows nothing of what a
 * decision holds: the tool that records it also reads it back and checks it.
 */
export class DecisionStore {
  constructor(
    private readonly table: TableClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The log of one user on one agent. */
  forUser(principal: Principal, agentId: string): UserDecisions {
    const partitionKey = principalKey(principal);
    const username = principal.username ?? '';
    return {
      append: async (kind, payload) => {
        const at = new Date(this.now());
        const json = JSON.stringify(payload);
        if (json.length > MAX_PAYLOAD_CHARS) throw new StorageUnavailableError(`Could not record the ${kind} decision: it is larger than ${MAX_PAYLOAD_CHARS} characters.`);
        const rowKey = `${String(MAX_TICKS - at.getTime()).padStart(13, '0')}_${randomBytes(6).toString('hex')}`;
        const entity: DecisionEntity = { partitionKey, rowKey, at, agentId, kind, username, payload: json };
        await guardStorage(() => this.table.createEntity(entity), `record the ${kind} decision`);
        return rowKey;
      },
      list: async (kind, { top, after }) => {
        if (after !== undefined && !ID.test(after)) return { entries: [] };
        const filter = after
          ? odata`PartitionKey eq ${partitionKey} and agentId eq ${agentId} and kind eq ${kind} and RowKey gt ${after}`
          : odata`PartitionKey eq ${partitionKey} and agentId eq ${agentId} and kind eq ${kind}`;
        const entries: StoredDecision[] = [];
        // One page of top + 1 rows says whether more exist without reading them.
        const pages = this.table.listEntities<DecisionEntity>({ queryOptions: { filter } }).byPage({ maxPageSize: top + 1 });
        try {
          for await (const page of pages) {
            for (const e of page) if (entries.length <= top) entries.push(fromEntity(e));
            if (entries.length > top) break;
          }
        } catch (err) {
          throw new StorageUnavailableError(`Could not read the ${kind} decisions: storage is unavailable.`, { cause: err });
        }
        const more = entries.length > top;
        const shown = entries.slice(0, top);
        return { entries: shown, ...(more && { next: shown.at(-1)?.id }) };
      },
      get: async (kind, id) => {
        if (!ID.test(id)) return undefined;
        try {
          const e = await this.table.getEntity<DecisionEntity>(partitionKey, id);
          return e.agentId === agentId && e.kind === kind ? fromEntity(e) : undefined;
        } catch (err) {
          if (storageStatus(err) === 404) return undefined;
          throw new StorageUnavailableError(`Could not read the ${kind} decision: storage is unavailable.`, { cause: err });
        }
      },
    };
  }
}

/** What a tool sees of the log: its user's entries on its agent. */
export interface UserDecisions {
  append(kind: string, payload: Record<string, unknown>): Promise<string>;
  list(kind: string, options: { top: number; after?: string | undefined }): Promise<{ entries: StoredDecision[]; next?: string | undefined }>;
  get(kind: string, id: string): Promise<StoredDecision | undefined>;
}

function fromEntity(e: DecisionEntity): StoredDecision {
  let payload: unknown;
  try {
    payload = JSON.parse(e.payload);
  } catch {
    payload = undefined;
  }
  return { id: e.rowKey, at: new Date(e.at).toISOString(), agentId: e.agentId, kind: e.kind, username: e.username, payload };
}
