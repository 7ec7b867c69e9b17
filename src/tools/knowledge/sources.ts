import { z } from 'zod';

import { OboError } from '../../auth/oboError.js';
import type { Passage } from '../../copilot/provider.js';
import { truncate } from '../../copilot/text.js';
import type { DataverseClient, Row } from '../../dataverse/client.js';
import { DataverseError, describeDataverseError } from '../../dataverse/errors.js';
import { eq, type Filter } from '../../dataverse/odata.js';
import type { SearchHit } from '../../dataverse/search.js';
import { ToolError } from '../defineTool.js';
import { canonicalEmailText } from '../emailBody.js';
import { readFileColumn } from '../files/fileData.js';

/**
 * The knowledge a chat may cite, each read as the user through Dataverse search: published
 * knowledge articles, notes with an attached document, and the QnA pairs of the `new_qna` table
 * (the knowledge base solution's own table: Dataverse has no standard one). Each must be enabled
 * for Dataverse search in the org; the user's privileges decide what comes back.
 */
export interface KnowledgeSource {
  table: 'knowledgearticle' | 'annotation' | 'new_qna';
  entitySet: string;
  sourceType: 'Document' | 'Qna';
  searchColumns: readonly string[];
  selectColumns: readonly string[];
  /** Only rows worth citing: published articles, notes that are documents, active QnA pairs. */
  filter: Filter;
}

export const KNOWLEDGE_ARTICLE_PUBLISHED = 3;
const QNA_ACTIVE = 0;

export const SOURCES: readonly KnowledgeSource[] = [
  {
    table: 'knowledgearticle',
    entitySet: 'knowledgearticles',
    sourceType: 'Document',
    searchColumns: ['title', 'content', 'keywords', 'description'],
    selectColumns: ['title', 'content', 'description', 'articlepublicnumber', 'majorversionnumber', 'minorversionnumber', 'modifiedon'],
    filter: eq('statecode', KNOWLEDGE_ARTICLE_PUBLISHED),
  },
  {
    table: 'annotation',
    entitySet: 'annotations',
    sourceType: 'Document',
    searchColumns: ['subject', 'notetext', 'filename', 'documentbody'],
    selectColumns: ['subject', 'notetext', 'filename', 'mimetype', 'filesize', 'modifiedon'],
    filter: eq('isdocument', true),
  },
  {
    table: 'new_qna',
    entitySet: 'new_qnas',
    sourceType: 'Qna',
    searchColumns: ['new_question', 'new_answer'],
    selectColumns: ['new_question', 'new_answer', 'new_answertype', 'modifiedon'],
    filter: eq('statecode', QNA_ACTIVE),
  },
];

export function sourceOf(table: string): KnowledgeSource | undefined {
  return SOURCES.find((s) => s.table === table);
}

/** `new_answertype` (custom choice values start at the publisher prefix). */
export const ANSWER_TYPES: Readonly<Record<number, 'Simple' | 'Card' | 'Dialog'>> = { 100000000: 'Simple', 100000001: 'Card', 100000002: 'Dialog' };

/** What a chat cites from one search hit: the passage the answer may quote, and the citation's facts. */
export interface Cited {
  source: KnowledgeSource;
  id: string;
  passage: Passage;
  sourceName: string;
  mimeType: string;
  fileVersion: string;
  fileLastUpdate: string;
  relevanceScore: number;
  /** Matched fragments (markers removed), the fallback snippet. */
  highlight: string;
}

const text = (row: Record<string, unknown>, key: string): string => (typeof row[key] === 'string' ? (row[key] as string) : '');

/** Highlight fragments without their `{crmhit}` markers and the ellipses that cut them. */
function unmarked(fragments: readonly string[] | undefined): string[] {
  return (fragments ?? [])
    .map((f) => f.replace(/\{\/?crmhit\}/g, '').replace(/\s+/g, ' ').replace(/^(\.\.\.|…)\s*/, '').replace(/\s*(\.\.\.|…)$/, '').trim())
    .filter(Boolean);
}

/**
 * An article's text as sentences: headings, list items and paragraphs each end a sentence (a step
 * without a full stop would otherwise run into the next), and the title the content repeats goes.
 */
function articleText(title: string, html: string): string {
  return canonicalEmailText(html)
    .split(/\n+/)
    .map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .filter((l) => l && l !== title)
    .map((l) => (/[.!?:;]$/.test(l) ? l : `${l}.`))
    .join('\n');
}

/** The readable text of a QnA answer: an adaptive card's text blocks, otherwise the answer as written. */
export function answerText(answer: string, type: 'Simple' | 'Card' | 'Dialog'): string {
  if (type !== 'Card') return answer;
  try {
    const texts: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'text' && typeof x === 'string') texts.push(x);
          else walk(x);
        }
      }
    };
    walk(JSON.parse(answer));
    return texts.join(' ');
  } catch {
    return answer;
  }
}

const PASSAGE_CHARS = 6000;

/** A search hit as a passage and its citation facts; undefined for tables this chat does not cite. */
export function citedFrom(hit: SearchHit, passageId: string): Cited | undefined {
  const source = sourceOf(hit.entityName);
  if (!source) return undefined;
  const a = hit.attributes;
  const highlight = Object.values(hit.highlights).flatMap((f) => unmarked(f)).join(' … ');
  const base = { source, id: hit.id, relevanceScore: Math.round(hit.score * 10_000) / 10_000, fileLastUpdate: text(a, 'modifiedon'), highlight };
  switch (source.table) {
    case 'knowledgearticle': {
      const title = text(a, 'title');
      const body = [text(a, 'description'), articleText(title, text(a, 'content'))].filter(Boolean).join('\n');
      const major = a['majorversionnumber'];
      const minor = a['minorversionnumber'];
      return {
        ...base,
        passage: { id: passageId, title, text: truncate(body, PASSAGE_CHARS) },
        sourceName: title,
        mimeType: 'text/html',
        fileVersion: typeof major === 'number' ? `${major}.${typeof minor === 'number' ? minor : 0}` : '',
      };
    }
    case 'annotation': {
      const name = text(a, 'filename') || text(a, 'subject');
      // The file's own words reach the answer through the fragments search matched in it.
      const body = [text(a, 'subject'), text(a, 'notetext'), ...unmarked(hit.highlights['documentbody'])].filter(Boolean).map((s) => (/[.!?]$/.test(s) ? s : `${s}.`));
      return { ...base, passage: { id: passageId, title: name, text: truncate(body.join(' '), PASSAGE_CHARS) }, sourceName: name, mimeType: text(a, 'mimetype'), fileVersion: '' };
    }
    case 'new_qna': {
      const question = text(a, 'new_question');
      const type = ANSWER_TYPES[a['new_answertype'] as number] ?? 'Simple';
      return { ...base, passage: { id: passageId, title: question, text: truncate(answerText(text(a, 'new_answer'), type), PASSAGE_CHARS) }, sourceName: question, mimeType: '', fileVersion: '' };
    }
  }
}

/** The `error` object of the reference document's shapes: an HTTP-like code and a sentence. */
export const ErrorShape = z.object({
  code: z.string().describe('HTTP-like status: 400 bad request, 403 forbidden, 404 not found, 429 throttled, 503 unavailable'),
  message: z.string(),
});

/** A refusal carrying `{ error: { code, message } }` (plus `base`, so the result still fits the tool's output schema). */
export function refusal(status: '400' | '403' | '404' | '429' | '503', message: string, base: Record<string, unknown> = {}): ToolError {
  const code = status === '400' ? 'invalid_argument' : status === '403' ? 'forbidden' : status === '404' ? 'not_found' : status === '429' ? 'throttled' : 'unavailable';
  return new ToolError(message, code, { ...base, error: { code: status, message } });
}

/** Runs `op`; what the user or model can act on becomes a refusal with an error object; bugs stay bugs. */
export async function withErrorShape<T>(what: string, base: Record<string, unknown>, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ToolError) {
      if (err.data) throw err;
      const status = err.code === 'invalid_argument' ? '400' : err.code === 'forbidden' ? '403' : err.code === 'not_found' ? '404' : err.code === 'throttled' ? '429' : '503';
      throw refusal(status, err.message, base);
    }
    if (err instanceof DataverseError) {
      const status = err.kind === 'not_found' ? '404' : err.kind === 'forbidden' ? '403' : err.kind === 'validation' ? '400' : err.kind === 'throttled' ? '429' : '503';
      throw refusal(status, describeDataverseError(err, what), base);
    }
    if (err instanceof OboError) throw refusal('403', err.message, base);
    throw err;
  }
}

/** The record in Dynamics 365 (a note opens on the record it is attached to). */
export function recordUrl(dataverse: DataverseClient, table: string, id: string, row?: Row): string {
  let etn = table;
  let target = id;
  if (table === 'annotation' && row) {
    const regarding = row['_objectid_value'];
    const regardingTable = row['_objectid_value@Microsoft.Dynamics.CRM.lookuplogicalname'];
    if (typeof regarding === 'string' && typeof regardingTable === 'string') {
      etn = regardingTable;
      target = regarding;
    }
  }
  const url = new URL(`${dataverse.orgUrl}/main.aspx`);
  url.searchParams.set('pagetype', 'entityrecord');
  url.searchParams.set('etn', etn);
  url.searchParams.set('id', target);
  return url.toString();
}

/** A document's content as the user reads it, for the download route. */
export interface DocumentFile {
  fileName: string;
  mimeType: string;
  body: Uint8Array;
}

/** The largest document the download route serves (Dataverse's default attachment limit is 5 MB; orgs raise it to 128 MB). */
export const MAX_DOWNLOAD_BYTES = 32 * 1024 * 1024;

/**
 * Reads the cited document as the user: a note's attachment, or a knowledge article as an HTML
 * file. Access is decided by Dataverse on this read (a record the user lost access to is 403, one
 * deleted 404); an article no longer published or a note without a file is not found.
 */
export async function readDocumentFile(dataverse: DataverseClient, table: string, id: string, column?: string): Promise<DocumentFile> {
  // A file or image column (file_download's links).
  if (column) return readFileColumn(dataverse, table, id, column, MAX_DOWNLOAD_BYTES);
  if (table === 'annotation') {
    // The size first: a body over the limit is never read into memory (attachments may be 128 MB).
    const row = await dataverse.get('annotations', id, { select: ['filename', 'mimetype', 'isdocument', 'filesize'] });
    if (row['isdocument'] !== true) throw new ToolError('This note has no attached document any more.', 'not_found');
    if (typeof row['filesize'] !== 'number' || row['filesize'] > MAX_DOWNLOAD_BYTES) throw new ToolError('This document is larger than this server serves; open it in Dynamics 365.', 'invalid_argument');
    const content = await dataverse.get('annotations', id, { select: ['documentbody'] });
    if (typeof content['documentbody'] !== 'string') throw new ToolError('This note has no attached document any more.', 'not_found');
    return { fileName: text(row, 'filename') || 'document', mimeType: text(row, 'mimetype') || 'application/octet-stream', body: Buffer.from(content['documentbody'], 'base64') };
  }
  if (table === 'knowledgearticle') {
    const row = await dataverse.get('knowledgearticles', id, { select: ['title', 'content', 'articlepublicnumber', 'statecode'] });
    if (row['statecode'] !== KNOWLEDGE_ARTICLE_PUBLISHED) throw new ToolError('This knowledge article is no longer published.', 'not_found');
    const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const html = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escape(text(row, 'title'))}</title></head><body>${text(row, 'content')}</body></html>\n`;
    return { fileName: `${text(row, 'articlepublicnumber') || 'article'}.html`, mimeType: 'text/html', body: Buffer.from(html, 'utf8') };
  }
  throw new ToolError('This reference has no document to download.', 'not_found');
}
