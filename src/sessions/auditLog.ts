import { randomBytes } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import type { Principal } from '../auth/principal.js';
import type { Logger } from '../telemetry/log.js';

export interface AuditEntry {
  principal: Principal;
  agentId: string;
  tool: string;
  /** What the write touched, e.g. `lead:<guid>` (never the arguments). */
  target: string;
  /**
   * `unknown`: the write may or may not have happened (timeout, dropped connection); `partial`:
   * some of it happened (e.g. some columns added), `detail` says which parts did not.
   */
  outcome: 'succeeded' | 'partial' | 'failed' | 'cancelled' | 'unknown';
  /** Short failure class when outcome is failed (e.g. `forbidden`), or what did not happen when partial. */
  detail?: string;
  requestId: string;
  era: 'modern' | 'legacy';
}

const MAX_TICKS = 10_000_000_000_000;

/**
 * One row per write, partitioned by UTC day, newest first within a day (inverted timestamp keys).
 * The audit is the only place tool calls are recorded, and it records who/what/outcome, not arguments.
 */
export class AuditLog {
  constructor(
    private readonly table: TableClient,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const at = new Date(this.now());
    const rowKey = `${String(MAX_TICKS - at.getTime()).padStart(13, '0')}_${randomBytes(6).toString('hex')}`;
    try {
      await this.table.createEntity({
        partitionKey: at.toISOString().slice(0, 10),
        rowKey,
        at,
        tenantId: entry.principal.tenantId,
        objectId: entry.principal.objectId,
        username: entry.principal.username ?? '',
        agentId: entry.agentId,
        tool: entry.tool,
        target: entry.target.slice(0, 500),
        outcome: entry.outcome,
        detail: entry.detail ?? '',
        requestId: entry.requestId,
        era: entry.era,
      });
    } catch (err) {
      // The write itself already happened; losing its audit row must be loud, not fatal to the caller.
      this.log.error('audit write failed', { tool: entry.tool, target: entry.target, outcome: entry.outcome, error: (err as Error).message });
    }
  }
}
