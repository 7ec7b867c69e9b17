import type { ReadResourceResult, Resource } from '@modelcontextprotocol/server';

import type { Row } from '../../dataverse/client.js';
import { DataverseError } from '../../dataverse/errors.js';
import { isGuid } from '../../dataverse/odata.js';
import { ToolError } from '../defineTool.js';
import { type Completer, COMPLETION_LIMIT, type ResourceSource, type SurfaceContext } from '../surface.js';
import { type TableDescription, tableDescription } from './describeTable.js';
import { tableAllowed } from './tableAccess.js';

const TABLE_URI = /^dataverse:\/\/tables\/([a-z][a-z0-9_]{0,63})$/;
const RECORD_URI = /^dataverse:\/\/([a-z][a-z0-9_]{0,63})\/([^/]+)$/;

export const tableUri = (table: string) => `dataverse://tables/${table}`;
export const recordUri = (table: string, id: string) => `dataverse://${table}/${id.toLowerCase()}`;

/** The agent's tables (allowlist entries and prefixes resolved against the org) that the user may read. */
async function readableTables(ctx: SurfaceContext): Promise<Array<{ name: string; displayName: string }>> {
  const allowed = (await ctx.metadata.tables()).filter((t) => tableAllowed(ctx, t.logicalName)).sort((a, b) => a.logicalName.localeCompare(b.logicalName));
  const readable = await Promise.all(allowed.map((t) => ctx.privileges.allows({ table: t.logicalName, ops: ['Read'] })));
  return allowed.filter((_, i) => readable[i]).map((t) => ({ name: t.logicalName, displayName: t.displayName || t.logicalName }));
}

/** Table names the agent serves that start with (or, failing that, contain) what was typed. */
export const completeTable: Completer = async (value, ctx) => {
  const typed = value.trim().toLowerCase();
  const names = (await ctx.metadata.tables()).map((t) => t.logicalName).filter((n) => tableAllowed(ctx, n)).sort();
  const prefixed = names.filter((n) => n.startsWith(typed));
  return (prefixed.length ? prefixed : names.filter((n) => n.includes(typed))).slice(0, COMPLETION_LIMIT);
};

/**
 * Table schemas: one resource per table the agent serves and the user may read, as JSON (columns,
 * types, choices, lookups) and as Markdown.
 */
export const tableResources: ResourceSource = {
  toolsets: ['dataverse'],
  templates: [
    {
      uriTemplate: 'dataverse://tables/{table}',
      name: 'table-schema',
      title: 'Table schema',
      description: "A Dataverse table's columns: types, required level, lengths, choice values and lookup targets (JSON and Markdown).",
      mimeType: 'application/json',
      complete: { table: completeTable },
    },
  ],
  async list(ctx) {
    return (await readableTables(ctx)).map(
      (t): Resource => ({
        uri: tableUri(t.name),
        name: t.name,
        title: `${t.displayName} (table schema)`,
        description: `Columns of the ${t.displayName} table (${t.name}).`,
        mimeType: 'application/json',
      }),
    );
  },
  async read(uri, ctx) {
    const table = TABLE_URI.exec(uri)?.[1];
    if (!table || !tableAllowed(ctx, table)) return undefined;
    let schema: TableDescription;
    try {
      schema = await tableDescription(ctx, table);
    } catch (err) {
      if (err instanceof ToolError && err.code === 'not_found') return undefined;
      throw err;
    }
    const contents: ReadResourceResult['contents'] = [
      { uri, mimeType: 'application/json', text: JSON.stringify(schema) },
      { uri, mimeType: 'text/markdown', text: schemaMarkdown(schema) },
    ];
    return { contents };
  },
};

function schemaMarkdown(schema: TableDescription): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const rows = schema.columns.map((c) => {
    const notes = [
      c.name === schema.primaryId && 'primary key',
      c.name === schema.primaryName && 'primary name',
      c.maxLength !== undefined && `max ${c.maxLength}`,
      c.lookupTargets && `→ ${c.lookupTargets.join(', ')}`,
      c.options?.length && c.options.map((o) => `${o.value} ${o.label}`).join('; '),
    ].filter(Boolean);
    return `| ${cell(c.name)} | ${cell(c.displayName)} | ${c.type} | ${c.requiredLevel} | ${cell(notes.join(', '))} |`;
  });
  return [
    `# ${schema.displayName || schema.table} (\`${schema.table}\`)`,
    '',
    `Entity set \`${schema.entitySetName}\`, primary key \`${schema.primaryId}\`${schema.primaryName ? `, primary name \`${schema.primaryName}\`` : ''}.`,
    '',
    '| Column | Display name | Type | Required | Notes |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * Records by URI (`dataverse://account/<id>`): the row as the user sees it (their security roles
 * apply), with the labels of choices and lookups. Only the agent's tables.
 */
export const recordResources: ResourceSource = {
  toolsets: ['dataverse', 'sales', 'service'],
  templates: [
    {
      uriTemplate: 'dataverse://{table}/{id}',
      name: 'record',
      title: 'Record',
      description: 'One Dataverse row by table logical name and id, with the labels of its choices and lookups.',
      mimeType: 'application/json',
      complete: { table: completeTable },
    },
  ],
  async read(uri, ctx) {
    const match = RECORD_URI.exec(uri);
    if (!match) return undefined;
    const [, table, id] = match as unknown as [string, string, string];
    if (table === 'tables' || !isGuid(id) || !tableAllowed(ctx, table)) return undefined;
    let row: Row;
    let info;
    try {
      info = await ctx.metadata.table(table);
      row = await ctx.dataverse.get(info.entitySetName, id, { select: [] });
    } catch (err) {
      if (err instanceof DataverseError && err.kind === 'not_found') return undefined;
      throw err;
    }
    const name = info.primaryName && typeof row[info.primaryName] === 'string' ? (row[info.primaryName] as string) : undefined;
    const record = { table, id: id.toLowerCase(), ...(name !== undefined && { name }), columns: readableColumns(row) };
    return { contents: [{ uri: recordUri(table, id), mimeType: 'application/json', text: JSON.stringify(record) }] };
  },
};

/** Column → value, with `{ value, label }` where Dataverse formats the value (choices, lookups, money, dates). */
function readableColumns(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.includes('@') || value === null) continue;
    const label = row[`${key}@OData.Community.Display.V1.FormattedValue`];
    const lookupTable = row[`${key}@Microsoft.Dynamics.CRM.lookuplogicalname`];
    const column = key.startsWith('_') && key.endsWith('_value') ? key.slice(1, -6) : key;
    out[column] =
      typeof lookupTable === 'string'
        ? { id: value, table: lookupTable, ...(typeof label === 'string' && { name: label }) }
        : typeof label === 'string' && label !== String(value)
          ? { value, label }
          : value;
  }
  return out;
}
