import { randomBytes } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import { principalKey, type Principal } from '../auth/principal.js';
import { deleteExpiredRows, guardStorage, StorageUnavailableError, storageStatus } from './tableStorage.js';

/** A pending confirmation: what the user was shown, bound to them, the tool and the exact arguments. */
export interface PendingConfirmation {
  handle: string;
  agentId: string;
  tool: string;
  argsHash: string;
  /** Hash of the exact preview shown; execution re-checks it. */
  previewHash: string;
  summary: string;
  expiresAt: Date;
}

/** The row: partition = user, row key = handle (or used MRTR nonce). */
type HandleEntity = Omit<PendingConfirmation, 'handle'> & { partitionKey: string; rowKey: string; kind: 'confirmation' | 'nonce'; etag?: string };

export type ConsumeOutcome =
  | { ok: true; confirmation: PendingConfirmation }
  | { ok: false; reason: 'unknown' | 'expired' | 'mismatch' | 'replayed' };

const HANDLE = /^cfm_[A-Za-z0-9_-]{22}$/;

/**
 * Confirmation handles and used MRTR nonces, as rows of the handles table. The partition is the
 * user, so another user's handle is simply not found; consuming deletes the row under its ETag,
 * so a handle works exactly once even when two calls race.
 */
export class ConfirmationStore {
  constructor(
    private readonly table: TableClient,
    private readonly ttlSeconds = 600,
    private readonly now: () => number = Date.now,
  ) {}

  async create(principal: Principal, input: Omit<PendingConfirmation, 'handle' | 'expiresAt'>): Promise<PendingConfirmation> {
    const confirmation: PendingConfirmation = {
      ...input,
      handle: `cfm_${randomBytes(16).toString('base64url')}`,
      expiresAt: new Date(this.now() + this.ttlSeconds * 1000),
    };
    const entity: HandleEntity = {
      partitionKey: principalKey(principal),
      rowKey: confirmation.handle,
      kind: 'confirmation',
      agentId: input.agentId,
      tool: input.tool,
      argsHash: input.argsHash,
      previewHash: input.previewHash,
      summary: input.summary.slice(0, 2000),
      expiresAt: confirmation.expiresAt,
    };
    await guardStorage(() => this.table.createEntity(entity), 'store a confirmation');
    return confirmation;
  }

  /** Redeems a handle for this user, agent, tool and argument hash; one use only. */
  async consume(principal: Principal, handle: string, expect: { agentId: string; tool: string; argsHash: string }): Promise<ConsumeOutcome> {
    if (!HANDLE.test(handle)) return { ok: false, reason: 'unknown' };
    let entity: HandleEntity;
    try {
      entity = await this.table.getEntity<HandleEntity>(principalKey(principal), handle);
    } catch (err) {
      if (storageStatus(err) === 404) return { ok: false, reason: 'unknown' };
      throw new StorageUnavailableError('Confirmation storage is unavailable.', { cause: err });
    }
    if (entity.kind !== 'confirmation') return { ok: false, reason: 'unknown' };
    if (new Date(entity.expiresAt).getTime() <= this.now()) {
      await this.table.deleteEntity(entity.partitionKey, entity.rowKey).catch(() => undefined);
      return { ok: false, reason: 'expired' };
    }
    if (entity.agentId !== expect.agentId || entity.tool !== expect.tool || entity.argsHash !== expect.argsHash) {
      // Left in place: the user may still confirm the original request.
      return { ok: false, reason: 'mismatch' };
    }
    try {
      await this.table.deleteEntity(entity.partitionKey, entity.rowKey, { etag: entity.etag ?? '*' });
    } catch (err) {
      const status = storageStatus(err);
      if (status === 404 || status === 412) return { ok: false, reason: 'replayed' };
      throw new StorageUnavailableError('Confirmation storage is unavailable.', { cause: err });
    }
    return {
      ok: true,
      confirmation: {
        handle,
        agentId: entity.agentId,
        tool: entity.tool,
        argsHash: entity.argsHash,
        previewHash: entity.previewHash,
        summary: entity.summary,
        expiresAt: new Date(entity.expiresAt),
      },
    };
  }

  /** Records an MRTR confirmation nonce as used; false when it was used before (a replay). */
  async useNonce(principal: Principal, nonce: string, expiresAt: Date): Promise<boolean> {
    const entity: HandleEntity = {
      partitionKey: principalKey(principal),
      rowKey: `nonce_${nonce}`,
      kind: 'nonce',
      agentId: '',
      tool: '',
      argsHash: '',
      previewHash: '',
      summary: '',
      expiresAt,
    };
    try {
      await this.table.createEntity(entity);
      return true;
    } catch (err) {
      if (storageStatus(err) === 409) return false;
      throw new StorageUnavailableError('Confirmation storage is unavailable.', { cause: err });
    }
  }

  sweepExpired(): Promise<number> {
    return deleteExpiredRows(this.table, this.now());
  }
}
