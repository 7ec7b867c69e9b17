import { summarizeLead } from '../../copilot/grounded.js';
import { activityFact, leadFactsFrom, leadQuery, NO_SCORING_NOTE, withScore } from '../../tools/sales/leadData.js';
import { toIso } from '../clock.js';
import { invalidArgument, notFound } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { isGuid } from '../ids.js';
import { type EngineContext, type JsonRecord, resolveQuery, retrieveRecord, runCollection } from '../odata/queryEngine.js';
import { AnnotationFilter } from '../odata/values.js';
import { COPILOT_APIS } from '../seed/copilotApis.js';
import { actionParameters, actionTable } from './actionParameters.js';

type Implementation = (scope: RequestScope) => ApiResponse;

/**
 * The Copilot custom APIs the emulator answers, written with the embedded grounded generator so the
 * org-Copilot path is exercised over HTTP. They exist only where their customapi row does (an org
 * without Copilot in Dynamics 365 Sales answers 404 for the segment, like any unknown operation).
 */
const IMPLEMENTATIONS: Readonly<Record<(typeof COPILOT_APIS)[number]['uniquename'], Implementation>> = {
  msdyn_SalesRecordSummary: salesRecordSummary,
};

/** The implementation of `name` when this org defines that custom API (customapi.uniquename). */
export function copilotApi(scope: RequestScope, name: string): Implementation | undefined {
  const impl = (IMPLEMENTATIONS as Record<string, Implementation | undefined>)[name];
  if (!impl || !scope.core.model.table('customapi')) return undefined;
  return scope.core.store.get(`SELECT 1 AS x FROM customapi WHERE uniquename = ?`, [name]) ? impl : undefined;
}

/**
 * The fields "configured by the admin" for accounts and opportunities (the real API reads the
 * record summary configuration of Copilot in Dynamics 365 Sales); a fixed list here.
 */
const CONFIGURED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  account: ['name', 'industrycode', 'address1_city', 'numberofemployees', 'revenue', '_primarycontactid_value'],
  opportunity: ['name', 'statecode', 'estimatedvalue', 'estimatedclosedate', 'closeprobability', '_parentaccountid_value'],
};

/**
 * `POST /msdyn_SalesRecordSummary {"RecordId": "…"}` → `{ Summary }`. It runs as the caller: the
 * lead, its score, activities and notes are read with the caller's privileges and column security,
 * so it summarises only what they could read themselves. Accounts and opportunities get their
 * configured fields, read the same way; other tables are refused, as the API covers sales records.
 */
function salesRecordSummary(scope: RequestScope): ApiResponse {
  const p = actionParameters('', 'msdyn_SalesRecordSummary', scope.req.body, { RecordId: { type: 'string', required: true } });
  const id = String(p.RecordId).replace(/^\{|\}$/g, '').toLowerCase();
  if (!isGuid(id)) throw invalidArgument(`RecordId '${String(p.RecordId).slice(0, 64)}' is not a record id.`);
  const table = scope.core.store.names.get(id)?.table;
  if (!table) throw notFound('lead', id);
  if (table !== 'lead') return configuredFieldsSummary(scope, table, id);
  // The facts are read with formatted values, as the server reads them, whatever the caller's Prefer header asked for.
  const engine: EngineContext = { ...scope.engine, annotations: AnnotationFilter.parse('OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.lookuplogicalname') };
  const lead = actionTable(scope, 'lead');
  const scoreTable = scope.core.model.table('msdyn_predictivescore');
  const nav = scoreTable ? scope.core.model.navForLookup('lead', 'msdyn_predictivescoreid', 'msdyn_predictivescore') : undefined;
  const scoring = nav && scope.access.can('Read', scoreTable!) ? { navigation: nav } : undefined;
  const q = leadQuery(scoring, ['description']);
  const text = { select: q.select, expand: q.expand.map((e) => ({ nav: e.nav, select: [...e.select], expand: [] })) };
  const row = withScore(retrieveRecord(engine, resolveQuery(engine, lead, text), id), scoring);

  const gaps: string[] = [];
  if (!scoreTable) gaps.push(NO_SCORING_NOTE);
  const nowIso = toIso(scope.engine.now);
  const related = (name: string, select: string[], filter: string, top: number): JsonRecord[] | undefined => {
    const t = actionTable(scope, name);
    if (!scope.access.can('Read', t)) return undefined;
    const query = resolveQuery(engine, t, { select, filter, orderby: 'createdon desc', top, expand: [] });
    return runCollection(engine, query, { offset: 0, pageSize: top }, false).records;
  };
  const activities = related('activitypointer', ['activitytypecode', 'subject', 'createdon', 'actualend'], `_regardingobjectid_value eq ${id}`, 50);
  if (!activities) gaps.push('Activities could not be read with your security role, so engagement is not included.');
  const notes = related('annotation', ['subject', 'createdon'], `_objectid_value eq ${id}`, 10);
  if (!notes) gaps.push('Notes could not be read with your security role.');
  const facts = leadFactsFrom(
    row,
    [
      ...(activities ?? []).flatMap((a) => activityFact(a, nowIso) ?? []),
      ...(notes ?? []).map((n) => ({ kind: 'note' as const, subject: typeof n['subject'] === 'string' ? n['subject'] : 'Note', on: typeof n['createdon'] === 'string' ? n['createdon'] : '' })),
    ],
    gaps,
    scoreTable !== undefined,
  );
  const summary = summarizeLead(facts, scope.engine.now);
  return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.msdyn_SalesRecordSummaryResponse`, Summary: summary.text } };
}

/** "Display name: value." for each configured field the caller can read, formatted as the app shows it. */
function configuredFieldsSummary(scope: RequestScope, table: string, id: string): ApiResponse {
  const fields = CONFIGURED_FIELDS[table];
  if (!fields) throw invalidArgument(`msdyn_SalesRecordSummary summarises sales records (leads, opportunities, accounts); ${id} is a ${table}.`);
  const engine: EngineContext = { ...scope.engine, annotations: AnnotationFilter.parse('OData.Community.Display.V1.FormattedValue') };
  const t = actionTable(scope, table);
  const row = retrieveRecord(engine, resolveQuery(engine, t, { select: [...fields], expand: [] }), id);
  const sentences = fields.flatMap((f) => {
    const value = row[`${f}@OData.Community.Display.V1.FormattedValue`] ?? row[f];
    if (value === null || value === undefined || value === '') return [];
    const attribute = scope.core.model.attribute(table, f.replace(/^_(.*)_value$/, '$1'));
    return [`${attribute?.displayName ?? f}: ${String(value)}.`];
  });
  return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.msdyn_SalesRecordSummaryResponse`, Summary: sentences.join(' ') } };
}
