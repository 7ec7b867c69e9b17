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
 * `POST /msdyn_SalesRecordSummary {"RecordId": "…"}` → `{ Summary }`. It runs as the caller: the
 * lead, its score, activities and notes are read with the caller's privileges and column security,
 * so it summarises only what they could read themselves. The emulator summarises leads only.
 */
function salesRecordSummary(scope: RequestScope): ApiResponse {
  const p = actionParameters('', 'msdyn_SalesRecordSummary', scope.req.body, { RecordId: { type: 'string', required: true } });
  const id = String(p.RecordId).replace(/^\{|\}$/g, '').toLowerCase();
  if (!isGuid(id)) throw invalidArgument(`RecordId '${String(p.RecordId).slice(0, 64)}' is not a record id.`);
  const table = scope.core.store.names.get(id)?.table;
  if (!table) throw notFound('lead', id);
  if (table !== 'lead') throw invalidArgument(`The local emulator summarises leads only; ${id} is a ${table}.`);
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
