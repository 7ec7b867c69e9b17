import { randomBytes } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import { type Principal, principalKey } from '../auth/principal.js';
import { deleteExpiredRows, guardStorage, StorageUnavailableError, storageStatus } from './tableStorage.js';

/** One question and its answer, as stored. */
export interface StoredTurn {
  messageId: string;
  at: string;
  question: string;
  answer: string;
}

interface ChatEntity {
  partitionKey: string;
  rowKey: string;
  agentId: string;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  /** The latest turns, JSON. */
  turns: string;
  etag?: string;
}

/** Chat ids as this store mints them; anything else is simply not found. */
export const CHAT_ID = /^chat_[A-Za-z0-9_-]{22}$/;
/** Turns kept per chat: follow-ups look back at the latest ones only. */
const MAX_TURNS = 10;
/** A string property holds at most 64 KiB (32K UTF-16 characters) in Table Storage. */
const MAX_TURNS_CHARS = 30_000;

/**
 * Knowledge chats, one row each, like the decision log: the partition is the user, so another
 * user's chat is not found; the row also names its agent and is not found on another one. Each turn
 * extends the chat's life by the TTL (time comes from the injected clock); expired rows are not
 * returned, and the sweep removes them. Concurrent turns of one chat are serialised by ETag.
 */
export class ChatHistoryStore {
  constructor(
    private readonly table: TableClient,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  forUser(principal: Principal, agentId: string): UserChats {
    const partitionKey = principalKey(principal);
    const read = async (chatId: string): Promise<ChatEntity | undefined> => {
      if (!CHAT_ID.test(chatId)) return undefined;
      let e: ChatEntity;
      try {
        e = await this.table.getEntity<ChatEntity>(partitionKey, chatId);
      } catch (err) {
        if (storageStatus(err) === 404) return undefined;
        throw new StorageUnavailableError('Could not read the chat history: storage is unavailable.', { cause: err });
      }
      if (e.agentId !== agentId || new Date(e.expiresAt).getTime() <= this.now()) return undefined;
      return e;
    };
    return {
      get: async (chatId) => {
        const e = await read(chatId);
        return e ? { chatId, turns: turnsOf(e) } : undefined;
      },
      append: async (chatId, turn) => {
        const at = new Date(this.now());
        const expiresAt = new Date(at.getTime() + this.ttlSeconds * 1000);
        if (chatId === undefined) {
          const id = `chat_${randomBytes(16).toString('base64url')}`;
          const entity: ChatEntity = { partitionKey, rowKey: id, agentId, createdAt: at, updatedAt: at, expiresAt, turns: serialise([turn]) };
          await guardStorage(() => this.table.createEntity(entity), 'store the chat');
          return id;
        }
        for (let attempt = 0; attempt < 3; attempt++) {
          const e = await read(chatId);
          if (!e) throw new ChatNotFoundError();
          const next: ChatEntity = { partitionKey, rowKey: chatId, agentId, createdAt: new Date(e.createdAt), updatedAt: at, expiresAt, turns: serialise([...turnsOf(e), turn]) };
          try {
            await this.table.updateEntity(next, 'Replace', { etag: e.etag ?? '*' });
            return chatId;
          } catch (err) {
            if (storageStatus(err) === 412) continue;
            throw new StorageUnavailableError('Could not store the chat: storage is unavailable.', { cause: err });
          }
        }
        throw new StorageUnavailableError('Could not store the chat: it kept changing; retry.');
      },
    };
  }

  /** Removes expired chats; reads already ignore them, this only reclaims storage. */
  sweepExpired(): Promise<number> {
    return deleteExpiredRows(this.table, this.now());
  }
}

/** The chat to continue does not exist, expired, or is not this user's on this agent. */
export class ChatNotFoundError extends Error {
  override name = 'ChatNotFoundError';
}

export interface UserChats {
  get(chatId: string): Promise<{ chatId: string; turns: StoredTurn[] } | undefined>;
  append(chatId: string | undefined, turn: StoredTurn): Promise<string>;
}

function turnsOf(e: ChatEntity): StoredTurn[] {
  try {
    const parsed = JSON.parse(e.turns) as unknown;
    return Array.isArray(parsed)
      ? parsed.filter((t): t is StoredTurn => !!t && typeof t === 'object' && typeof (t as StoredTurn).question === 'string' && typeof (t as StoredTurn).answer === 'string')
      : [];
  } catch {
    return [];
  }
}

/** The latest turns that fit one property; long answers are clipped (follow-ups only need their gist). */
function serialise(turns: readonly StoredTurn[]): string {
  let kept = turns.slice(-MAX_TURNS).map((t) => ({ ...t, question: t.question.slice(0, 2000), answer: t.answer.slice(0, 2000) }));
  let json = JSON.stringify(kept);
  while (json.length > MAX_TURNS_CHARS && kept.length > 1) {
    kept = kept.slice(1);
    json = JSON.stringify(kept);
  }
  return json;
}
