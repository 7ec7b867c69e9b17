import { z } from 'zod';

import type { MetadataRead, Row } from '../../dataverse/client.js';
import { DataverseError } from '../../dataverse/errors.js';
import { type ToolContext, ToolError } from '../defineTool.js';

export const tableNameArg = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a table logical name such as "account" or "new_project"')
  .describe('Table logical name, e.g. "account" (see list_tables).');

/** Allowlist entries are logical names or prefixes with `*` (e.g. `new_*` for the tables this agent creates). */
export function tableAllowed(ctx: ToolContext, table: string): boolean {
  return ctx.agent.tables.some((t) => (t.endsWith('*') ? table.startsWith(t.slice(0, -1)) : t === table));
}

export function requireTable(ctx: ToolContext, table: string): void {
  if (!tableAllowed(ctx, table)) {
    throw new ToolError(`Table "${table}" is not available on this agent. Tables you can use: ${ctx.agent.tables.join(', ')}.`, 'forbidden');
  }
}

export interface AttributeInfo {
  name: string;
  type: string;
  displayName: string;
  required: string;
  isValidForCreate: boolean;
  isValidForUpdate: boolean;
  maxLength?: number;
  targets?: string[];
  options?: Array<{ value: number; label: string }>;
}

export interface TableInfo {
  logicalName: string;
  entitySetName: string;
  displayName: string;
  primaryId: string;
  primaryName: string;
  isCustom: boolean;
  attributes: Map<string, AttributeInfo>;
}

const labelOf = (v: unknown): string => {
  const l = (v as { UserLocalizedLabel?: { Label?: string } | null } | undefined)?.UserLocalizedLabel?.Label;
  return typeof l === 'string' ? l : '';
};

/** Definitions read during one tool call; a confirmed write re-checks its preview and then writes, reading the same table. */
const perCall = new WeakMap<ToolContext, Map<string, Promise<TableInfo>>>();

/** Reads a table's definition and columns through the metadata API, once per tool call. */
export function describe(ctx: ToolContext, table: string, read: MetadataRead = {}): Promise<TableInfo> {
  let known = perCall.get(ctx);
  if (!known) perCall.set(ctx, (known = new Map()));
  let info = read.strong ? undefined : known.get(table);
  if (!info) {
    info = readDefinition(ctx, table, read);
    known.set(table, info);
    // A failed read is not remembered: the caller sees the error, a later call tries again.
    info.catch(() => known.delete(table));
  }
  return info;
}

/** A few calls, one per metadata type. */
async function readDefinition(ctx: ToolContext, table: string, read: MetadataRead): Promise<TableInfo> {
  let def: Row;
  try {
    def = await ctx.dataverse.entityDefinition(
      table,
      ['LogicalName', 'EntitySetName', 'DisplayName', 'PrimaryIdAttribute', 'PrimaryNameAttribute', 'IsCustomEntity'],
      ['LogicalName', 'AttributeType', 'DisplayName', 'RequiredLevel', 'IsValidForCreate', 'IsValidForUpdate', 'AttributeOf'],
      read,
    );
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'not_found') throw new ToolError(`There is no table named "${table}". Call list_tables to see the tables.`, 'not_found');
    throw err;
  }
  const attributes = new Map<string, AttributeInfo>();
  for (const a of (def['Attributes'] as Row[] | undefined) ?? []) {
    if (a['AttributeOf']) continue; // virtual name/yomi columns that shadow another column
    const name = String(a['LogicalName']);
    attributes.set(name, {
      name,
      type: String(a['AttributeType'] ?? ''),
      displayName: labelOf(a['DisplayName']),
      required: String((a['RequiredLevel'] as { Value?: string } | undefined)?.Value ?? 'None'),
      isValidForCreate: a['IsValidForCreate'] !== false,
      isValidForUpdate: a['IsValidForUpdate'] !== false,
    });
  }
  const [strings, lookups, ...choiceSets] = await Promise.all([
    ctx.dataverse.attributes(table, ['LogicalName', 'MaxLength'], 'StringAttributeMetadata', undefined, read),
    ctx.dataverse.attributes(table, ['LogicalName', 'Targets'], 'LookupAttributeMetadata', undefined, read),
    ...['PicklistAttributeMetadata', 'StateAttributeMetadata', 'StatusAttributeMetadata'].map((cast) =>
      ctx.dataverse.attributes(table, ['LogicalName'], cast, 'OptionSet($select=Options)', read),
    ),
  ]);
  for (const s of strings) {
    const a = attributes.get(String(s['LogicalName']));
    if (a && typeof s['MaxLength'] === 'number') a.maxLength = s['MaxLength'];
  }
  for (const l of lookups) {
    const a = attributes.get(String(l['LogicalName']));
    if (a && Array.isArray(l['Targets'])) a.targets = (l['Targets'] as unknown[]).map(String);
  }
  for (const set of choiceSets) {
    for (const c of set) {
      const a = attributes.get(String(c['LogicalName']));
      const options = ((c['OptionSet'] as { Options?: Row[] } | undefined)?.Options ?? []).map((o) => ({ value: Number(o['Value']), label: labelOf(o['Label']) }));
      if (a) a.options = options;
    }
  }
  return {
    logicalName: String(def['LogicalName'] ?? table),
    entitySetName: String(def['EntitySetName'] ?? ''),
    displayName: labelOf(def['DisplayName']),
    primaryId: String(def['PrimaryIdAttribute'] ?? `${table}id`),
    primaryName: String(def['PrimaryNameAttribute'] ?? ''),
    isCustom: def['IsCustomEntity'] === true,
    attributes,
  };
}
