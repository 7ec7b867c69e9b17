import type { DataverseClient, Row } from '../dataverse/client.js';
import { DataverseError } from '../dataverse/errors.js';
import { inList } from '../dataverse/odata.js';
import type { TtlCache } from '../dataverse/ttlCache.js';
import type { Logger } from '../telemetry/log.js';
import type { EmbeddedProvider } from './embedded.js';
import type { GroundedSentence } from './facts.js';
import type { Passage } from './grounded.js';
import { type AnswerResult, type CopilotProvider, type DraftRequest, type DraftResult, PURPOSE_WORD, type RecordSummaryRequest, type RecordSummaryResult, type RewriteRequest, type RewriteResult, type SummaryRequest, type SummaryResult } from './provider.js';

/**
 * The Copilot custom APIs of Dynamics 365 Sales this provider can call ("MCP tools for Copilot in
 * Dynamics 365 Sales": msdyn_SalesRecordSummary takes `RecordId`). Their response properties are not
 * documented, so they are read from the org's custom API definitions, never assumed.
 */
export const RECORD_SUMMARY_API = 'msdyn_SalesRecordSummary';
/**
 * Each API with the request parameter that takes the record id, as "Copilot in Dynamics 365 Sales
 * tools" lists them (https://learn.microsoft.com/dynamics365/sales/copilot-in-sales-tools).
 */
const API_PARAMETERS = { [RECORD_SUMMARY_API]: 'RecordId', msdyn_SalesAccountCatchup: 'AccountId', msdyn_SalesOpportunityCatchup: 'OpportunityId' } as const;
type KnownApi = keyof typeof API_PARAMETERS;
const KNOWN_APIS = Object.keys(API_PARAMETERS) as KnownApi[];
/** Which API writes what, per table; the record summary API covers sales records (leads go through summarise). */
const RECORD_APIS: Readonly<Record<RecordSummaryRequest['purpose'], Readonly<Record<string, KnownApi>>>> = {
  summary: { account: RECORD_SUMMARY_API, opportunity: RECORD_SUMMARY_API },
  catchup: { account: 'msdyn_SalesAccountCatchup', opportunity: 'msdyn_SalesOpportunityCatchup' },
  timeline: {},
};

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
        filter: inList('uniquename', KNOWN_APIS),
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
  const expected = (API_PARAMETERS as Record<string, string>)[name]?.toLowerCase();
  const parameter = params.find((p) => String(p['uniquename']).toLowerCase() === expected && (p['type'] === STRING_TYPE || p['type'] === GUID_TYPE));
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
    const org = await this.orgText(RECORD_SUMMARY_API, request.facts.leadId, 'summary');
    if ('note' in org) return { ...grounded, notes: [org.note] };
    return { ...org, nextStep: grounded.nextStep, notes: [`${org.notes[0]} The suggested next step comes from the grounded rules.`] };
  }

  /** Account and opportunity summaries and catch-ups through the Sales Copilot API for each ("Copilot in Sales tools"); other records have none. */
  async summariseRecord(request: RecordSummaryRequest): Promise<RecordSummaryResult> {
    const grounded = await this.fallback.summariseRecord(request);
    const what = PURPOSE_WORD[request.purpose];
    const api = RECORD_APIS[request.purpose][request.table];
    if (!api) return { ...grounded, notes: [`The organisation's Copilot offers no ${request.table} ${what} API to external callers, so the embedded grounded generator wrote this ${what}.`] };
    const org = await this.orgText(api, request.recordId, what);
    return 'note' in org ? { ...grounded, notes: [org.note] } : org;
  }

  /** The text of one of the org's Copilot APIs for a record, or the note saying why there is none. */
  private async orgText(name: KnownApi, recordId: string, what: string): Promise<RecordSummaryResult | { note: string }> {
    let api: CopilotApi | undefined;
    try {
      api = (await this.catalog.apis(this.dataverse)).get(name);
    } catch (err) {
      return { note: this.failed(name, 'could not be looked up', err, what) };
    }
    if (!api) return { note: `This organisation has no ${name} Copilot API (Copilot in Dynamics 365 Sales is not installed or not enabled), so the embedded grounded generator wrote this ${what}.` };
    let text: string | undefined;
    try {
      const params = { [api.parameter]: recordId };
      const body = api.isFunction ? await this.dataverse.callFunctionWith<Row>(api.name, params) : await this.dataverse.action<Row>(api.name, params);
      const value = body?.[api.response];
      text = typeof value === 'string' ? value.trim() : undefined;
    } catch (err) {
      return { note: this.failed(name, 'failed', err, what) };
    }
    if (!text) return { note: `The organisation's Copilot (${name}) returned no ${what}, so the embedded grounded generator wrote this one.` };
    // The org's Copilot reads the fields its administrator configured and does not say which each sentence used.
    const sentences: GroundedSentence[] = splitSentences(text).map((s) => ({ text: s, fields: [] }));
    return {
      text,
      sentences,
      source: 'dataverse-copilot',
      notes: [`Written by the organisation's Copilot (${name}) from the fields its administrator configured; it does not list the fields each sentence used.`],
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

  private failed(api: string, what: string, err: unknown, product: string): string {
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
    this.log.warn('dataverse copilot fell back', { api, what, error: err instanceof DataverseError ? err.kind : 'unexpected' });
    return `The organisation's Copilot (${api}) ${what}: ${why}; the embedded grounded generator wrote this ${product}.`;
  }
}

function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"“(])/)
    .map((s) => s.trim())
    .filter(Boolean);
}
