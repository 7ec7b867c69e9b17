import { bulkAction } from '../actions/bulkMultiple.js';
import { closeIncident } from '../actions/closeIncident.js';
import { fileBlocksAction } from '../actions/fileBlocks.js';
import { pipelineAction } from '../actions/salesPipeline.js';
import { copilotApi } from '../actions/copilotApis.js';
import { qualifyLead } from '../actions/qualifyLead.js';
import { retrieveUserPrivileges } from '../actions/retrieveUserPrivileges.js';
import { sendEmail } from '../actions/sendEmail.js';
import { instantiateTemplate, isInstantiateTemplate, serviceDeskBoundAction } from '../actions/serviceDesk.js';
import { whoAmI } from '../actions/whoAmI.js';
import type { EmulatorCore } from '../emulatorCore.js';
import { DataverseError, ErrorCode, propertyNotFound, queryError, resourceNotFound } from '../dataverseError.js';
import { isGuid } from '../ids.js';
import { MetadataApi } from '../metadata/metadataApi.js';
import { MAX_PAGE } from '../odata/queryEngine.js';
import { AnnotationFilter } from '../odata/values.js';
import { parameterAliases } from '../odata/queryOptions.js';
import { searchQuery } from '../search/searchQuery.js';
import { AccessChecker } from '../security/roles.js';
import type { ApiRequest, ApiResponse, RequestScope } from './apiTypes.js';
import { associationHandler } from './associations.js';
import { createHandler, deleteHandler, getProperty, getRecord, getRelated, listRecords, upsertHandler } from './recordHandlers.js';

/** "405 Method Not Allowed: … incorrect method and resource combinations. For example, you can't use DELETE or PATCH on a collection of entities." (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#identify-status-codes) */
function methodNotAllowed(method: string, what: string): DataverseError {
  return new DataverseError(405, ErrorCode.QueryError, `The HTTP method '${method}' is not supported for ${what}.`);
}

/**
 * A function or action called with the wrong method: `POST …/WhoAmI` answers 404 with an empty code
 * and "No HTTP resource was found that matches the request URI '…/WhoAmI'." (Troubleshoot Web API
 * client errors, https://learn.microsoft.com/troubleshoot/power-platform/dataverse/dataverse-web-api-and-sdk/web-api-client-errors).
 */
function noHttpResource(req: ApiRequest): DataverseError {
  return new DataverseError(404, '', `No HTTP resource was found that matches the request URI '${req.baseUrl}${req.path}'.`);
}

/** Splits the resource path on '/' outside parentheses and quotes. */
function segmentsOf(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of path) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (ch === '/' && depth === 0 && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.filter((s, i) => s !== '' || i === 0);
}

export function buildScope(core: EmulatorCore, req: ApiRequest): RequestScope {
  const access = new AccessChecker(req.principal, core.model);
  const annotations = AnnotationFilter.parse(req.prefer.includeAnnotations);
  const now = core.clock.now();
  return {
    core,
    req,
    access,
    annotations,
    engine: {
      model: core.model,
      store: core.store,
      access,
      principal: req.principal,
      now,
      annotations,
      aliases: parameterAliases(req.url.searchParams),
      paging: { baseUrl: req.baseUrl, pageSize: Math.min(req.prefer.maxPageSize ?? MAX_PAGE, MAX_PAGE), issueToken: (offset, key) => core.skipTokens.issue(offset, key) },
      ...(core.aggregateRecordLimit !== undefined && { aggregateRecordLimit: core.aggregateRecordLimit }),
    },
    write: { model: core.model, store: core.store, access, principal: req.principal, now },
  };
}

/**
 * The native search 2.0 endpoint, `/api/search/v2.0/`: "not an OData service and has no service
 * document"; its operations take the same parameters and answer the same responses as the Web API
 * actions (https://learn.microsoft.com/power-apps/developer/data-platform/search/overview).
 */
export function routeSearchApi(core: EmulatorCore, req: ApiRequest): ApiResponse {
  const scope = buildScope(core, req);
  if (req.path === 'query') {
    if (req.method !== 'POST') throw methodNotAllowed(req.method, 'the search query operation');
    return { status: 200, body: searchQuery(scope) };
  }
  throw resourceNotFound(req.path.split('/')[0] ?? '');
}

/** Dispatches one authenticated request below /api/data/v9.2/. */
export function routeWebApi(core: EmulatorCore, req: ApiRequest): ApiResponse {
  const scope = buildScope(core, req);
  const segments = segmentsOf(req.path);
  const [first = '', second, third] = segments;
  const method = req.method;

  // The service document lists the entity sets (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-service-documents).
  if (first === '') {
    if (method !== 'GET') throw methodNotAllowed(method, 'the service document');
    return {
      status: 200,
      body: {
        '@odata.context': `${req.baseUrl}$metadata`,
        value: core.model.allTables().map((t) => ({ name: t.entitySetName, kind: 'EntitySet', url: t.entitySetName })),
      },
    };
  }
  if (first === 'WhoAmI' || first === 'WhoAmI()') {
    if (method !== 'GET') throw noHttpResource(req);
    return whoAmI(scope);
  }
  if (first === 'CloseIncident' || first === 'Microsoft.Dynamics.CRM.CloseIncident') {
    if (method !== 'POST') throw noHttpResource(req);
    return closeIncident(scope);
  }
  if (first.startsWith('EntityDefinitions')) return new MetadataApi(scope).handle(segments);
  // Dataverse search through the Web API: the searchquery action (search/query, Web API tab).
  if (first === 'searchquery' || first === 'Microsoft.Dynamics.CRM.searchquery') {
    if (method !== 'POST' || second !== undefined) throw noHttpResource(req);
    return { status: 200, body: { '@odata.context': `${req.baseUrl}$metadata#Microsoft.Dynamics.CRM.searchqueryResponse`, ...searchQuery(scope) } };
  }
  if (second === undefined && isInstantiateTemplate(first)) {
    if (method !== 'POST') throw noHttpResource(req);
    return instantiateTemplate(scope);
  }
  // File and image columns: the block upload and download messages (actions/fileBlocks.ts).
  const fileMessage = second === undefined ? fileBlocksAction(first) : undefined;
  if (fileMessage) {
    if (method !== 'POST') throw noHttpResource(req);
    return fileMessage(scope);
  }
  // The Sales pipeline messages (WinOpportunity, CloseQuote, ConvertQuoteToSalesOrder, …) are unbound actions.
  const pipeline = second === undefined ? pipelineAction(first) : undefined;
  if (pipeline) {
    if (method !== 'POST') throw noHttpResource(req);
    return pipeline(scope);
  }
  // Unbound custom APIs are called by their unique name (use-web-api-actions, Unbound actions).
  const custom = second === undefined ? copilotApi(scope, first.replace(/^Microsoft\.Dynamics\.CRM\./, '')) : undefined;
  if (custom) {
    if (method !== 'POST') throw noHttpResource(req);
    return custom(scope);
  }

  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/.exec(first);
  if (!m?.[1]) throw resourceNotFound(first);
  const table = core.model.tableBySet(m[1]);
  if (!table) throw resourceNotFound(m[1]);

  if (m[2] === undefined) {
    // CreateMultiple and UpdateMultiple are bound to the entity set (bulk-operations).
    const bulk = second !== undefined && third === undefined ? bulkAction(second) : undefined;
    if (bulk) {
      if (method !== 'POST') throw noHttpResource(req);
      return bulk(scope, table);
    }
    if (second !== undefined) throw resourceNotFound(second);
    if (method === 'GET') return listRecords(scope, table);
    if (method === 'POST') return createHandler(scope, table);
    throw methodNotAllowed(method, `the entity set '${table.entitySetName}'`);
  }

  // Keys are GUIDs; alternate keys exist only where a solution defines them ("By default, there are no
  // alternate keys configured", retrieve-entity-using-web-api, Retrieve using an alternate key).
  const rawKey = m[2].trim();
  const key = rawKey.replace(/^\{|\}$/g, '');
  if (!isGuid(key)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(rawKey)) throw queryError(`Alternate keys are not supported by the local emulator ('${rawKey}'). Use the record's GUID.`);
    throw queryError(`Unrecognized 'Edm.Guid' literal '${rawKey}' in the key. Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).`);
  }
  const id = key.toLowerCase();

  if (second === undefined) {
    switch (method) {
      case 'GET':
        return getRecord(scope, table, id);
      case 'PATCH':
        return upsertHandler(scope, table, id);
      case 'DELETE':
        return deleteHandler(scope, table, id);
      default:
        throw methodNotAllowed(method, `a ${table.logicalName} record`);
    }
  }
  if (third === '$ref') return associationHandler(scope, table, id, second);
  if (third !== undefined) throw resourceNotFound(third);
  // Bound operations take the full name with the namespace (use-web-api-functions, Bound functions,
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions).
  if (second === 'Microsoft.Dynamics.CRM.QualifyLead') {
    if (table.logicalName !== 'lead') throw resourceNotFound(second);
    if (method !== 'POST') throw noHttpResource(req);
    return qualifyLead(scope, id);
  }
  if (second === 'Microsoft.Dynamics.CRM.RetrieveUserPrivileges' || second === 'Microsoft.Dynamics.CRM.RetrieveUserPrivileges()') {
    if (table.logicalName !== 'systemuser') throw resourceNotFound(second);
    if (method !== 'GET') throw noHttpResource(req);
    return retrieveUserPrivileges(scope, id);
  }
  if (second === 'Microsoft.Dynamics.CRM.SendEmail') {
    if (table.logicalName !== 'email') throw resourceNotFound(second);
    if (method !== 'POST') throw noHttpResource(req);
    return sendEmail(scope, id);
  }
  // Queue messages are bound to a queue or queue item (PickFromQueue, AddToQueue, …).
  const queueAction = second.startsWith('Microsoft.Dynamics.CRM.') ? serviceDeskBoundAction(table, second) : undefined;
  if (queueAction) {
    if (method !== 'POST') throw noHttpResource(req);
    return queueAction(scope, id);
  }
  if (method !== 'GET') throw methodNotAllowed(method, second);
  const nav = core.model.nav(table.logicalName, second);
  if (nav) return getRelated(scope, table, id, nav);
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(second)) {
    const bare = second.replace(/^_(.+)_value$/, '$1');
    if (core.model.attribute(table.logicalName, bare)) return getProperty(scope, table, id, second);
    throw propertyNotFound(second, table.logicalName);
  }
  throw resourceNotFound(second);
}
