import type { DataverseClient, Row } from '../dataverse/client.js';
import { DataverseError } from '../dataverse/errors.js';
import { inList } from '../dataverse/odata.js';
import type { TtlCache } from '../dataverse/ttlCache.js';
import type { Logger } from '../telemetry/log.js';
import type { EmbeddedProvider } from './embedded.js';
import type { GroundedSentence } from './facts.js';
import type { Passage } from './grounded.js';
import type { AnswerResult, CopilotProvider, DraftRequest, DraftResult, SummaryRequest, SummaryResult, RewriteRequest, RewriteResult } from './provider.js';

/**
 * The Copilot custom APIs of Dynamics 365 Sales this provider can call ("MCP tools for Copilot in
 * Dynamics 365 Sales": msdyn_SalesRecordSummary takes `RecordId`). Their response properties are not
 * documented, so they are read from the org's custom API definitions, never assumed.
 */
export const RECORD_SUMMARY_API = 'msdyn_SalesRecordSummary';
const KNOWN_APIS = [RECORD_SUMMARY_API] as const;

/** A custom API as the org defines it (customapi with its request parameters and response properties). */
export interface CopilotApi {
  name: string;
  isFunction: boolean;
  /** The request parameter that takes the record id. */
  parameter: string;
  /** The first String response property: where the text comes back. */
  response: string;
}

/** customapiresponseproperty / customapirequestparameter `type`: 10 String, 12 Guid (custom-api-tables). */
const STRING_TYPE = 10;
const GUID_TYPE = 12;
/** customapi `bindingtype` 0: Global (unbound). */
const GLOBAL_BINDING = 0;

/** Which Copilot APIs an org has, read once per org with one query and kept like the rest of its metadata. */
export class CopilotApiCatalog {
  constructor(private readonly cache: TtlCache<ReadonlyMap<string, CopilotApi>>) {}

  apis(dataverse: DataverseClient): Promise<ReadonlyMap<string, CopilotApi>> {
    return this.cache.get(dataverse.apiBase, async () => {
      // The query of "Retrieve data about Custom APIs" (custom-api-tables), narrowed to the APIs used here.
      const page = await dataverse.list('customapis', {
        select: ['uniquename', 'isfunction', 'bindingtype'],
        filter: inList('uniquename', [...KNOWN_APIS]),
        expand: [
          { nav: 'CustomAPIRequestParameters', select: ['uniquename', 'type'] },
          { nav: 'CustomAPIResponseProperties', select: ['uniquename', 'type'] },
        ],
      });
      const out = new Map<string, CopilotApi>();
      for (const row of page.rows) {
        const api = usable(row);
        if (api) out.set(api.name, api);
      }
      return out;
    });
  }
}

function usable(row: Row): CopilotApi | undefined {
  const name = row['uniquename'];
  if (typeof name !== 'string' || row['bindingtype'] !== GLOBAL_BINDING) return undefined;
  const params = (row['CustomAPIRequestParameters'] as Row[] | undefined) ?? [];
  const props = (row['CustomAPIResponseProperties'] as Row[] | undefined) ?? [];
  const parameter = params.find((p) => /^RecordId$/i.test(String(p['uniquename'])) && (p['type'] === STRING_TYPE || p['type'] === GUID_TYPE));
  const response = props.find((p) => p['type'] === STRING_TYPE);
  if (!parameter || !response) return undefined;
  return { name, isFunction: row['isfunction'] === true, parameter: String(parameter['uniquename']), response: String(response['uniquename']) };
}

/**
 * The org's Copilot, called through the Dataverse client on behalf of the user (their roles decide
 * what it may read). Where the org has no such API, or the call fails, the embedded generator writes
 * the text and a note says why. Drafts and answers have no public Dataverse Copilot API: they always
 * come from the embedded generator, with a note.
 */
export class DataverseCopilotProvider implements CopilotProvider {
  readonly kind = 'dataverse' as const;

  constructor(
    private readonly dataverse: DataverseClient,
    private readonly catalog: CopilotApiCatalog,
    private readonly fallback: EmbeddedProvider,
    private readonly log: Logger,
  ) {}

  async summarise(request: SummaryRequest): Promise<SummaryResult> {
    const grounded = await this.fallback.summarise(request);
    // The Sales record summary API summarises sales records; a case is summarised by the grounded rules.
    if (request.kind !== 'lead') return { ...grounded, notes: [`The organisation's Copilot offers no case summary API to external callers (${RECORD_SUMMARY_API} covers sales records), so the embedded grounded generator wrote this summary.`] };
    let api: CopilotApi | undefined;
    try {
      api = (await this.catalog.apis(this.dataverse)).get(RECORD_SUMMARY_API);
    } catch (err) {
      return { ...grounded, notes: [this.failed('could not be looked up', err)] };
    }
    if (!api) return { ...grounded, notes: [`This organisation has no ${RECORD_SUMMARY_API} Copilot API (Copilot in Dynamics 365 Sales is not installed or not enabled), so the embedded grounded generator wrote this summary.`] };
    let text: string | undefined;
    try {
      const params = { [api.parameter]: request.facts.leadId };
      const body = api.isFunction ? await this.dataverse.callFunctionWith<Row>(api.name, params) : await this.dataverse.action<Row>(api.name, params);
      const value = body?.[api.response];
      text = typeof value === 'string' ? value.trim() : undefined;
    } catch (err) {
      return { ...grounded, notes: [this.failed('failed', err)] };
    }
    if (!text) return { ...grounded, notes: [`The organisation's Copilot (${RECORD_SUMMARY_API}) returned no summary, so the embedded grounded generator wrote this one.`] };
    // The org's Copilot reads the fields its administrator configured and does not say which each sentence used.
    const sentences: GroundedSentence[] = splitSentences(text).map((s) => ({ text: s, fields: [] }));
    return {
      text,
      sentences,
      nextStep: grounded.nextStep,
      source: 'dataverse-copilot',
      notes: [`Written by the organisation's Copilot (${RECORD_SUMMARY_API}) from the fields its administrator configured; it does not list the fields each sentence used. The suggested next step comes from the grounded rules.`],
    };
  }

  async draftEmail(request: DraftRequest, instructions?: string): Promise<DraftResult> {
    const draft = await this.fallback.draftEmail(request, instructions);
    return { ...draft, notes: [...draft.notes, "The organisation's Copilot offers no email-drafting API to external callers, so the embedded grounded generator wrote this draft."] };
  }

  async answer(question: string, passages: readonly Passage[]): Promise<AnswerResult> {
    const answer = await this.fallback.answer(question, passages);
    return { ...answer, notes: [...answer.notes, "The organisation's Copilot answers only from its own SharePoint sources, so the embedded grounded generator answered from these passages."] };
  }

  async rewrite(request: RewriteRequest): Promise<RewriteResult> {
    const result = await this.fallback.rewrite(request);
    return { ...result, notes: [...result.notes, "The organisation's Copilot offers no rewriting API to external callers."] };
  }

  private failed(what: string, err: unknown): string {
    const why =
      err instanceof DataverseError
        ? err.kind === 'forbidden'
          ? `your security role may not use it${err.privileges.length ? ` (${err.privileges.join(', ')})` : ''}`
          : err.kind === 'throttled'
            ? 'Dataverse is throttling requests'
            : err.kind === 'timeout'
              ? 'it did not answer in time'
              : `Dataverse answered ${err.status ?? 'nothing'}`
        : 'an unexpected error';
    this.log.warn('dataverse copilot fell back', { what, error: err instanceof DataverseError ? err.kind : 'unexpected' });
    return `The organisation's Copilot (${RECORD_SUMMARY_API}) ${what}: ${why}; the embedded grounded generator wrote this summary.`;
  }
}

function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"“(])/)
    .map((s) => s.trim())
    .filter(Boolean);
}
