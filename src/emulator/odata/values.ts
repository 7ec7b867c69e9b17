import { BASE_LANGUAGE, labelIn } from '../metadata/localizedLabels.js';
import type { AttributeDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import type { SqlValue } from 'sql.js';

/** The Edm type a column has on the wire; also what $filter literals must match (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-properties). */
export function edmType(a: AttributeDef): string {
  switch (a.type) {
    case 'String':
    case 'Memo':
    case 'EntityName':
      return 'Edm.String';
    case 'Integer':
    case 'Picklist':
    case 'State':
    case 'Status':
      return 'Edm.Int32';
    case 'BigInt':
      return 'Edm.Int64';
    case 'Decimal':
    case 'Money':
      return 'Edm.Decimal';
    case 'Double':
      return 'Edm.Double';
    case 'Boolean':
      return 'Edm.Boolean';
    case 'DateTime':
      return a.format === 'DateOnly' ? 'Edm.Date' : 'Edm.DateTimeOffset';
    default:
      return 'Edm.Guid';
  }
}

/** Stored SQLite value → JSON value. */
export function toJsonValue(a: AttributeDef, v: SqlValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (a.type === 'Boolean') return v !== 0;
  if (v instanceof Uint8Array) return null;
  return v;
}

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const MONEY = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const decimals = new Map<number, Intl.NumberFormat>();
function decimalFormat(precision: number): Intl.NumberFormat {
  let f = decimals.get(precision);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: precision, maximumFractionDigits: precision });
    decimals.set(precision, f);
  }
  return f;
}

function formatDate(iso: string, withTime: boolean): string {
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  const date = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
  if (!withTime) return date;
  const h = d.getUTCHours();
  const m = String(d.getUTCMinutes()).padStart(2, '0');
  return `${date} ${h % 12 === 0 ? 12 : h % 12}:${m} ${h < 12 ? 'AM' : 'PM'}`;
}

/** The label of a choice or Yes/No value in `language` (base language where there is no translation). */
export function choiceLabel(a: AttributeDef, v: SqlValue | undefined, language: number = BASE_LANGUAGE): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (a.type === 'Boolean') {
    const local = language !== BASE_LANGUAGE ? a.booleanLabels?.localized?.[language] : undefined;
    return v ? (local?.trueLabel ?? a.booleanLabels?.trueLabel ?? 'Yes') : (local?.falseLabel ?? a.booleanLabels?.falseLabel ?? 'No');
  }
  const o = a.options?.find((x) => x.value === v);
  return o ? labelIn(o.label, o.localized, language) : undefined;
}

/**
 * The `OData.Community.Display.V1.FormattedValue` of a non-lookup column; undefined when Dataverse
 * gives none (strings, GUIDs). Formatted values include "the localized labels for choice, choices,
 * yes/no, status, and status reason columns" (select-columns, Formatted values,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/select-columns#formatted-values),
 * so those come in the caller's UI language; numbers and dates as an en-US user in UTC sees them.
 */
export function formattedValue(a: AttributeDef, v: SqlValue | undefined, language: number = BASE_LANGUAGE): string | undefined {
  if (v === null || v === undefined || isLookupType(a.type)) return undefined;
  switch (a.type) {
    case 'Picklist':
    case 'State':
    case 'Status':
    case 'Boolean':
      return choiceLabel(a, v, language);
    case 'Money':
      return typeof v === 'number' ? MONEY.format(v) : undefined;
    case 'Decimal':
    case 'Double':
      return typeof v === 'number' ? decimalFormat(a.precision ?? 2).format(v) : undefined;
    case 'Integer':
    case 'BigInt':
      return typeof v === 'number' ? INT.format(v) : undefined;
    case 'DateTime':
      return typeof v === 'string' ? formatDate(v, a.format !== 'DateOnly') : undefined;
    default:
      return undefined;
  }
}

/** Which instance annotations the caller asked for through `Prefer: odata.include-annotations`. */
export class AnnotationFilter {
  private readonly cache = new Map<string, boolean>();
  private constructor(private readonly patterns: readonly string[]) {}

  static parse(value: string | undefined): AnnotationFilter {
    if (!value) return new AnnotationFilter([]);
    return new AnnotationFilter(
      value
        .replace(/^"|"$/g, '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0 && !s.startsWith('-')),
    );
  }

  get any(): boolean {
    return this.patterns.length > 0;
  }

  includes(term: string): boolean {
    let hit = this.cache.get(term);
    if (hit === undefined) {
      // "You can also use the '*' character as a wildcard", e.g. `Microsoft.PowerApps.CDS.ErrorDetails*`
      // (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#request-annotations).
      hit = this.patterns.some((p) => p === '*' || p === term || (p.endsWith('*') && term.startsWith(p.slice(0, -1))));
      this.cache.set(term, hit);
    }
    return hit;
  }
}

export const FORMATTED = 'OData.Community.Display.V1.FormattedValue';
export const LOOKUP_LOGICAL_NAME = 'Microsoft.Dynamics.CRM.lookuplogicalname';
export const ASSOCIATED_NAV = 'Microsoft.Dynamics.CRM.associatednavigationproperty';
export const TOTAL_RECORD_COUNT = 'Microsoft.Dynamics.CRM.totalrecordcount';
export const TOTAL_RECORD_COUNT_LIMIT_EXCEEDED = 'Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded';
