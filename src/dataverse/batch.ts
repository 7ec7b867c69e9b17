import { randomUUID } from 'node:crypto';


/**
 * The `$batch` wire format of the Web API ("Execute batch operations using the Web API",
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api):
 * a multipart/mixed body whose one part here is a change set (all requests succeed or none), each
 * request an `application/http` part with its `Content-ID`; the answer is multipart/mixed too.
 */

/** Requests in one batch at most ("Batch requests can contain up to 1000 individual requests"). */
export const MAX_BATCH_REQUESTS = 1000;

export interface ChangeSetRequest {
  method: 'POST' | 'PATCH' | 'DELETE';
  /** Below the Web API root, e.g. `tasks` or `accounts(<id>)`; built by the client from checked names. */
  path: string;
  /** The JSON body of the request (a row to create, the columns to change). */
  body?: Record<string, unknown>;
  ifMatch?: string;
}

export interface BatchPartResponse {
  status: number;
  headers: ReadonlyMap<string, string>;
  body: unknown;
  contentId: string | undefined;
}

/** One change set holding every request, numbered from 1 by Content-ID. */
export function changeSetBody(requests: readonly ChangeSetRequest[], apiPath: string): { contentType: string; body: string } {
  const batch = `batch_${randomUUID()}`;
  const changeSet = `changeset_${randomUUID()}`;
  const lines = [`--${batch}`, `Content-Type: multipart/mixed; boundary="${changeSet}"`, ''];
  requests.forEach((r, i) => {
    lines.push(`--${changeSet}`, 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', `Content-ID: ${i + 1}`, '', `${r.method} ${apiPath}${r.path} HTTP/1.1`);
    if (r.ifMatch) lines.push(`If-Match: ${r.ifMatch}`);
    if (r.body !== undefined) lines.push('Content-Type: application/json; type=entry', '', JSON.stringify(r.body));
    else lines.push('');
  });
  lines.push(`--${changeSet}--`, `--${batch}--`, '');
  return { contentType: `multipart/mixed; boundary="${batch}"`, body: lines.join('\r\n') };
}

/** The boundary of a multipart/mixed Content-Type (RFC 2046), or undefined. */
export function multipartBoundary(contentType: string | null | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/mixed\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/**
 * The header lines of a part from `from` up to the blank line, names lower-cased; `malformed` is
 * told of a line that is not a header (the emulator refuses it, the client skips it).
 */
export function partHeaders(lines: readonly string[], from = 0, malformed?: (line: string) => void): { headers: Map<string, string>; next: number } {
  const headers = new Map<string, string>();
  let i = from;
  for (; i < lines.length && lines[i]!.trim() !== ''; i++) {
    const colon = lines[i]!.indexOf(':');
    if (colon > 0) headers.set(lines[i]!.slice(0, colon).trim().toLowerCase(), lines[i]!.slice(colon + 1).trim());
    else malformed?.(lines[i]!);
  }
  return { headers, next: i + 1 };
}

/** The lines of each part between the boundaries (preamble and epilogue dropped), and whether the closing boundary came. */
export function multipartSections(text: string, boundary: string): { sections: string[][]; closed: boolean } {
  const sections: string[][] = [];
  let current: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    const t = line.trimEnd();
    if (t === `--${boundary}` || t === `--${boundary}--`) {
      if (current) sections.push(current);
      if (t !== `--${boundary}`) return { sections, closed: true };
      current = [];
      continue;
    }
    current?.push(line);
  }
  return { sections, closed: false };
}

/** Every response of a batch answer, change sets flattened, in order; undefined when the text is not one. */
export function parseBatchResponse(text: string, contentType: string | null | undefined): BatchPartResponse[] | undefined {
  const boundary = multipartBoundary(contentType);
  if (!boundary) return undefined;
  const out: BatchPartResponse[] = [];
  for (const section of multipartSections(text, boundary).sections) {
    const { headers, next } = partHeaders(section);
    const nested = multipartBoundary(headers.get('content-type'));
    if (nested) {
      out.push(...(parseBatchResponse(section.slice(next).join('\r\n'), headers.get('content-type')) ?? []));
      continue;
    }
    const rest = section.slice(next);
    const start = rest.findIndex((l) => l.trim() !== '');
    const status = /^HTTP\/1\.1\s+(\d{3})/.exec(rest[start]?.trim() ?? '')?.[1];
    if (!status) continue;
    const inner = partHeaders(rest, start + 1);
    const bodyText = rest.slice(inner.next).join('\n').trim();
    let body: unknown;
    if (bodyText) {
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = undefined;
      }
    }
    out.push({ status: Number(status), headers: inner.headers, body, contentId: headers.get('content-id') });
  }
  return out;
}
