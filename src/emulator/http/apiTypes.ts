import type { EmulatorCore } from '../emulatorCore.js';
import type { EngineContext } from '../odata/queryEngine.js';
import type { AnnotationFilter } from '../odata/values.js';
import type { AccessChecker, Principal } from '../security/roles.js';
import type { WriteContext } from '../write/recordWriter.js';

/** Parsed `Prefer` header: return=representation, odata.include-annotations, odata.maxpagesize (compose-http-requests-handle-errors, Prefer headers, https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors). */
export interface Preferences {
  maxPageSize?: number;
  includeAnnotations?: string;
  returnRepresentation: boolean;
}

/** One Web API request after authentication and body parsing. */
export interface ApiRequest {
  method: string;
  url: URL;
  /** Path below `/api/data/v9.2/`. */
  path: string;
  headers: Readonly<Record<string, string | undefined>>;
  body: unknown;
  principal: Principal;
  prefer: Preferences;
  /** `${org}/api/data/v9.2/` */
  baseUrl: string;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Everything a handler needs for one request. */
export interface RequestScope {
  core: EmulatorCore;
  req: ApiRequest;
  access: AccessChecker;
  annotations: AnnotationFilter;
  engine: EngineContext;
  write: WriteContext;
}

export function parsePrefer(value: string | undefined): Preferences {
  const out: Preferences = { returnRepresentation: false };
  if (!value) return out;
  // Split on commas outside quotes: annotation lists are quoted and comma-separated themselves.
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  for (const part of parts) {
    const p = part.trim();
    const eq = p.indexOf('=');
    const key = (eq === -1 ? p : p.slice(0, eq)).trim().toLowerCase();
    const val = eq === -1 ? '' : p.slice(eq + 1).trim();
    if (key === 'odata.maxpagesize') {
      // "You can't request a page size larger than 5,000" (page-results): larger values are capped where they are used.
      const n = Number(val);
      if (Number.isInteger(n) && n > 0) out.maxPageSize = n;
    } else if (key === 'odata.include-annotations') {
      out.includeAnnotations = val.replace(/^"|"$/g, '');
    } else if (key === 'return' && val === 'representation') {
      out.returnRepresentation = true;
    }
  }
  return out;
}
