import { randomBytes } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import { deleteExpiredRows, guardStorage, StorageUnavailableError, storageStatus } from './tableStorage.js';

/** A 2025-era MCP session, as stored in Table Storage. Any instance can load it. */
export interface SessionRecord {
  id: string;
  agentId: string;
  tenantId: string;
  objectId: string;
  protocolVersion: string;
  clientInfo: { name?: string; version?: string } | undefined;
  clientCapabilities: Record<string, unknown>;
  /** The client's `logging/setLevel`: log notifications at or above it; none until it asks. */
  logLevel?: LogLevel | undefined;
  /**
   * Set for a legacy HTTP+SSE session (2024-11-05): the instance holding its stream, where every
   * message for the client must go. Streamable HTTP sessions have none.
   */
  streamInstance?: string | undefined;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

/** RFC 5424 severities, as MCP's logging names them (least severe first). */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const isLogLevel = (v: unknown): v is LogLevel => typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);

interface SessionEntity {
  partitionKey: string;
  rowKey: string;
  agentId: string;
  tenantId: string;
  objectId: string;
  protocolVersion: string;
  clientInfo: string;
  clientCapabilities: string;
  logLevel?: string;
  streamInstance?: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface SessionPolicy {
  idleTtlSeconds: number;
  maxTtlSeconds: number;
  /** lastSeenAt is rewritten at most this often, so a busy session does not write on every call. */
  touchIntervalSeconds: number;
  /**
   * How long this instance reuses a session it read, for the same user only (0: read on every
   * request). A DELETE on this instance is seen at once; on another, after at most this long.
   */
  cacheSeconds?: number;
}

/** Who a cached session is served to: the user it belongs to, and nobody else. */
export type SessionOwner = { tenantId: string; objectId: string };

/** Sessions this instance remembers at most (the oldest are dropped first). */
const CACHE_LIMIT = 10_000;

const ROW = 'session';
/** How long a legacy SSE session's row outlives the longest its stream may last. */
const STREAM_GRACE_SECONDS = 30;
/** 256 bits from the CSPRNG, base64url: visible ASCII, unguessable, valid as a Table key. */
const newSessionId = () => randomBytes(32).toString('base64url');
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export type Clock = () => number;

export class SessionStore {
  /** Rows read recently, by session id, with the one owner they may be served to from memory. */
  private readonly cache = new Map<string, { owner: string; record: SessionRecord; until: number }>();

  constructor(
    private readonly table: TableClient,
    private readonly policy: SessionPolicy,
    private readonly now: Clock = Date.now,
  ) {}

  async create(input: {
    agentId: string;
    tenantId: string;
    objectId: string;
    protocolVersion: string;
    clientInfo?: { name?: string; version?: string };
    clientCapabilities?: Record<string, unknown>;
    /** A legacy SSE session: its stream's instance, and how long the stream may stay open at most. */
    stream?: { instance: string; maxSeconds: number };
  }): Promise<SessionRecord> {
    const now = new Date(this.now());
    let expiresAt = this.expiry(now, now);
    // The row outlives its stream only by a little: if the instance dies without deleting it, it
    // expires soon after the stream could have lasted anyway.
    if (input.stream) expiresAt = new Date(Math.min(expiresAt.getTime(), now.getTime() + (input.stream.maxSeconds + STREAM_GRACE_SECONDS) * 1000));
    const record: SessionRecord = {
      id: newSessionId(),
      agentId: input.agentId,
      tenantId: input.tenantId,
      objectId: input.objectId,
      protocolVersion: input.protocolVersion,
      clientInfo: input.clientInfo,
      clientCapabilities: input.clientCapabilities ?? {},
      ...(input.stream && { streamInstance: input.stream.instance }),
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
    };
    await guardStorage(() => this.table.createEntity(toEntity(record)), 'create a session');
    return record;
  }

  /** The live session with this id, or undefined when it is unknown or expired. */
  async get(id: string): Promise<SessionRecord | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    let entity: SessionEntity;
    try {
      entity = await this.table.getEntity<SessionEntity>(id, ROW);
    } catch (err) {
      if (storageStatus(err) === 404) return undefined;
      throw new StorageUnavailableError('Session storage is unavailable.', { cause: err });
    }
    const record = fromEntity(entity);
    if (record.expiresAt.getTime() <= this.now()) {
      // Expired: forget it now rather than waiting for the sweeper.
      void this.delete(id).catch(() => undefined);
      return undefined;
    }
    return record;
  }

  /**
   * The live session with this id as `get` finds it, read from memory when this instance read it
   * for the same owner within `cacheSeconds`. Only a session `owner` owns is ever remembered, and a
   * remembered one is served to that owner alone: anyone else's lookup reads the store (and gets a
   * session the caller then refuses as foreign). The caller checks ownership either way.
   */
  async getFor(id: string, owner: SessionOwner): Promise<SessionRecord | undefined> {
    const ttl = (this.policy.cacheSeconds ?? 0) * 1000;
    const key = ownerKey(owner);
    const now = this.now();
    const hit = ttl > 0 ? this.cache.get(id) : undefined;
    if (hit && hit.owner === key && hit.until > now && hit.record.expiresAt.getTime() > now) return hit.record;
    const record = await this.get(id);
    if (ttl > 0) {
      if (!record) this.cache.delete(id);
      else if (ownerKey(record) === key) {
        this.cache.delete(id);
        if (this.cache.size >= CACHE_LIMIT) this.dropOldest();
        this.cache.set(id, { owner: key, record, until: now + ttl });
      }
      // Someone else's session: neither remembered for the caller nor taken from its owner.
    }
    return record;
  }

  private dropOldest(): void {
    const oldest = this.cache.keys().next().value;
    if (oldest !== undefined) this.cache.delete(oldest);
  }

  /** Slides the expiry forward, writing only when the last write is older than the touch interval. */
  async touch(record: SessionRecord): Promise<boolean> {
    const now = this.now();
    if (now - record.lastSeenAt.getTime() < this.policy.touchIntervalSeconds * 1000) return false;
    const lastSeenAt = new Date(now);
    const expiresAt = this.expiry(record.createdAt, lastSeenAt);
    await guardStorage(
      () => this.table.updateEntity({ partitionKey: record.id, rowKey: ROW, lastSeenAt, expiresAt }, 'Merge'),
      'refresh a session',
    );
    record.lastSeenAt = lastSeenAt;
    record.expiresAt = expiresAt;
    return true;
  }

  /** Stores the level the client asked for with `logging/setLevel`. */
  async setLogLevel(record: SessionRecord, level: LogLevel): Promise<void> {
    await guardStorage(() => this.table.updateEntity({ partitionKey: record.id, rowKey: ROW, logLevel: level }, 'Merge'), 'store the log level');
    record.logLevel = level;
  }

  /** What `initialize` negotiated, stored once it is answered (legacy SSE sessions open before it). */
  async recordInitialize(
    record: SessionRecord,
    init: { protocolVersion: string; clientInfo: { name?: string; version?: string }; clientCapabilities: Record<string, unknown> },
  ): Promise<void> {
    const stored = toEntity({ ...record, ...init });
    await guardStorage(
      () =>
        this.table.updateEntity(
          { partitionKey: record.id, rowKey: ROW, protocolVersion: stored.protocolVersion, clientInfo: stored.clientInfo, clientCapabilities: stored.clientCapabilities },
          'Merge',
        ),
      'store what initialize negotiated',
    );
    Object.assign(record, init);
  }

  /** Ends a session; false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    if (!SESSION_ID.test(id)) return false;
    this.cache.delete(id);
    try {
      await this.table.deleteEntity(id, ROW);
      return true;
    } catch (err) {
      if (storageStatus(err) === 404) return false;
      throw new StorageUnavailableError('Session storage is unavailable.', { cause: err });
    }
  }

  /** Deletes every expired session row; returns how many were removed. */
  sweepExpired(): Promise<number> {
    return deleteExpiredRows(this.table, this.now());
  }

  private expiry(createdAt: Date, lastSeenAt: Date): Date {
    const idle = lastSeenAt.getTime() + this.policy.idleTtlSeconds * 1000;
    const hard = createdAt.getTime() + this.policy.maxTtlSeconds * 1000;
    return new Date(Math.min(idle, hard));
  }
}

function ownerKey(owner: SessionOwner): string {
  return `${owner.tenantId}|${owner.objectId}`;
}

/** Table Storage caps a property at 64 KB; what clients declare is kept only while it is reasonably small. */
const MAX_STORED_JSON = 16 * 1024;

function boundedJson(value: unknown): string {
  const json = JSON.stringify(value ?? {});
  return json.length <= MAX_STORED_JSON ? json : JSON.stringify({ _omitted: `${json.length} characters` });
}

function toEntity(r: SessionRecord): SessionEntity {
  return {
    partitionKey: r.id,
    rowKey: ROW,
    agentId: r.agentId,
    tenantId: r.tenantId,
    objectId: r.objectId,
    protocolVersion: r.protocolVersion,
    clientInfo: boundedJson({ name: r.clientInfo?.name?.slice(0, 200), version: r.clientInfo?.version?.slice(0, 100) }),
    clientCapabilities: boundedJson(r.clientCapabilities),
    ...(r.logLevel && { logLevel: r.logLevel }),
    ...(r.streamInstance && { streamInstance: r.streamInstance }),
    createdAt: r.createdAt,
    lastSeenAt: r.lastSeenAt,
    expiresAt: r.expiresAt,
  };
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function fromEntity(e: SessionEntity): SessionRecord {
  const info = parseJsonObject(e.clientInfo);
  return {
    id: e.partitionKey,
    agentId: e.agentId,
    tenantId: e.tenantId,
    objectId: e.objectId,
    protocolVersion: e.protocolVersion,
    clientInfo: {
      ...(typeof info['name'] === 'string' && { name: info['name'] }),
      ...(typeof info['version'] === 'string' && { version: info['version'] }),
    },
    clientCapabilities: parseJsonObject(e.clientCapabilities),
    ...(isLogLevel(e.logLevel) && { logLevel: e.logLevel }),
    ...(typeof e.streamInstance === 'string' && { streamInstance: e.streamInstance }),
    createdAt: new Date(e.createdAt),
    lastSeenAt: new Date(e.lastSeenAt),
    expiresAt: new Date(e.expiresAt),
  };
}
