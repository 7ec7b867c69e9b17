import { toDateOnly, toIso } from '../clock.js';
import { invalidArgument, notFound, payloadError } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { isGuid } from '../ids.js';
import type { TableDef } from '../metadata/types.js';
import { resolveQuery, retrieveRecord } from '../odata/queryEngine.js';
import type { Row } from '../store/store.js';
import { computeTotals, LINE_OF, LINE_TABLES } from '../write/pricing.js';
import { createRecord, loadRow, parseEntityReference, systemUpdate } from '../write/recordWriter.js';
import { actionParameters, actionTable, copyColumns, type JsonObject } from './actionParameters.js';

/**
 * The Sales messages of the pipeline, unbound as the Web API action reference lists them:
 * WinOpportunity, LoseOpportunity, CloseQuote, ReviseQuote, ConvertQuoteToSalesOrder,
 * CalculatePrice and GenerateQuoteFromOpportunity
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/<action>).
 * Each refusal names the page that documents it.
 */

const OPPORTUNITY_STATE = { open: 0, won: 1, lost: 2 } as const;
const QUOTE_STATE = { draft: 0, active: 1, won: 2, closed: 3 } as const;

export type PipelineAction = (scope: RequestScope) => ApiResponse;

export function pipelineAction(name: string): PipelineAction | undefined {
  switch (name.replace(/^Microsoft\.Dynamics\.CRM\./, '')) {
    case 'WinOpportunity':
      return (scope) => closeOpportunity(scope, 'won');
    case 'LoseOpportunity':
      return (scope) => closeOpportunity(scope, 'lost');
    case 'CloseQuote':
      return closeQuote;
    case 'ReviseQuote':
      return reviseQuote;
    case 'ConvertQuoteToSalesOrder':
      return convertQuoteToSalesOrder;
    case 'CalculatePrice':
      return calculatePrice;
    case 'GenerateQuoteFromOpportunity':
      return generateQuoteFromOpportunity;
    default:
      return undefined;
  }
}

/** An entity parameter (`OpportunityClose`, `QuoteClose`): its @odata.type when given, and the record it binds. */
function closeEntity(scope: RequestScope, action: string, param: string, value: unknown, type: string, bindKey: string, target: string): { body: JsonObject; target: { table: TableDef; id: string } } {
  const body = { ...(value as JsonObject) };
  const given = body['@odata.type'];
  if (given !== undefined && String(given).replace(/^#/, '') !== `Microsoft.Dynamics.CRM.${type}`) {
    throw payloadError(target, `The ${param} parameter of '${action}' must be of type 'Microsoft.Dynamics.CRM.${type}'.`);
  }
  delete body['@odata.type'];
  const bind = body[bindKey];
  if (typeof bind !== 'string') throw invalidArgument(`The ${param} must reference the record through '${bindKey}'.`);
  const ref = parseEntityReference(scope.core.model, bind);
  if (!ref || ref.table.entitySetName !== target) throw payloadError(target, `'${bindKey}' must reference a record of '${target}', e.g. '/${target}(<guid>)'.`);
  return { body, target: ref };
}

function statusOf(table: TableDef, status: number): number | undefined {
  return table.attributes.find((a) => a.logicalName === 'statuscode')?.options?.find((o) => o.value === status)?.state;
}

/**
 * `POST /WinOpportunity` / `POST /LoseOpportunity` with `{ OpportunityClose: {…, "opportunityid@odata.bind"}, Status }`,
 * both required, no return value (winopportunity / loseopportunity action references). The
 * opportunity must be open, and none of its quotes may be draft or active ("The opportunity can't
 * be closed" and "The opportunity is already closed", Troubleshoot issues with an opportunity,
 * https://learn.microsoft.com/troubleshoot/dynamics-365/sales/troubleshoot-opportunities-issues).
 */
function closeOpportunity(scope: RequestScope, outcome: 'won' | 'lost'): ApiResponse {
  const action = outcome === 'won' ? 'WinOpportunity' : 'LoseOpportunity';
  const p = actionParameters('opportunities', action, scope.req.body, { OpportunityClose: { type: 'object', required: true }, Status: { type: 'integer', required: true } });
  const { body, target } = closeEntity(scope, action, 'OpportunityClose', p.OpportunityClose, 'opportunityclose', 'opportunityid@odata.bind', 'opportunities');
  const opportunity = actionTable(scope, 'opportunity');
  const close = actionTable(scope, 'opportunityclose');
  scope.access.require('Write', opportunity);
  scope.access.require('AppendTo', opportunity);
  scope.access.require('Create', close);
  const row = loadRow(scope.core.store, opportunity, target.id);
  if (!row) throw notFound('opportunity', target.id);
  const status = p.Status as number;
  const wanted = outcome === 'won' ? OPPORTUNITY_STATE.won : OPPORTUNITY_STATE.lost;
  if (statusOf(opportunity, status) !== wanted) {
    throw invalidArgument(`${status} is not a valid status code for state code OpportunityState.${outcome === 'won' ? 'Won' : 'Lost'} on opportunity with Id ${target.id}.`);
  }
  if (row.statecode !== OPPORTUNITY_STATE.open) {
    throw invalidArgument(`The opportunity with Id ${target.id} is already closed (${row.statecode === OPPORTUNITY_STATE.won ? 'won' : 'lost'}). Reopen it before closing it again.`);
  }
  const open = scope.core.store.get(`SELECT COUNT(*) AS n FROM quote WHERE opportunityid = ? AND statecode IN (0, 1)`, [target.id]);
  if (Number(open?.n ?? 0) > 0) {
    throw invalidArgument(`The opportunity can't be closed: it has ${String(open?.n)} draft or active quote(s). Close, win or convert them first.`);
  }
  const revenue = typeof body.actualrevenue === 'number' ? body.actualrevenue : undefined;
  const end = typeof body.actualend === 'string' ? body.actualend : toIso(scope.write.now);
  scope.core.store.transaction(() => {
    createRecord(scope.write, close, { subject: outcome === 'won' ? 'Opportunity won' : 'Opportunity lost', ...body, actualend: end, opportunitystatuscode: status, statecode: 1, statuscode: 2 });
    systemUpdate(scope.write, opportunity, target.id, {
      statecode: wanted,
      statuscode: status,
      actualclosedate: end.slice(0, 10),
      closeprobability: outcome === 'won' ? 100 : 0,
      ...(revenue !== undefined ? { actualvalue: revenue } : outcome === 'won' && typeof row.estimatedvalue === 'number' ? { actualvalue: row.estimatedvalue } : {}),
    });
  });
  return { status: 204 };
}

/**
 * `POST /CloseQuote` with `{ QuoteClose: {…, "quoteid@odata.bind"}, Status }` (closequote action
 * reference): Status is a Closed status (5 Lost, 6 Canceled, 7 Revised; quote StatusCode choices).
 * Only an active quote closes; a draft is activated first and a won or closed quote is final
 * (close_quote and revise_quote MCP tool references,
 * https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/close_quote).
 */
function closeQuote(scope: RequestScope): ApiResponse {
  const p = actionParameters('quotes', 'CloseQuote', scope.req.body, { QuoteClose: { type: 'object', required: true }, Status: { type: 'integer', required: true } });
  const { body, target } = closeEntity(scope, 'CloseQuote', 'QuoteClose', p.QuoteClose, 'quoteclose', 'quoteid@odata.bind', 'quotes');
  const quote = actionTable(scope, 'quote');
  scope.access.require('Write', quote);
  scope.access.require('Create', actionTable(scope, 'quoteclose'));
  const row = loadRow(scope.core.store, quote, target.id);
  if (!row) throw notFound('quote', target.id);
  const status = p.Status as number;
  if (statusOf(quote, status) !== QUOTE_STATE.closed) throw invalidArgument(`${status} is not a valid status code for state code QuoteState.Closed on quote with Id ${target.id}.`);
  requireQuoteState(row, target.id, [QUOTE_STATE.active], 'closed');
  scope.core.store.transaction(() => {
    createRecord(scope.write, actionTable(scope, 'quoteclose'), { subject: 'Quote closed', ...body, actualend: typeof body.actualend === 'string' ? body.actualend : toIso(scope.write.now), quotestatuscode: status, statecode: 1, statuscode: 2 });
    systemUpdate(scope.write, quote, target.id, { statecode: QUOTE_STATE.closed, statuscode: status, closedon: toDateOnly(scope.write.now) });
  });
  return { status: 204 };
}

function requireQuoteState(row: Row, id: string, allowed: readonly number[], verb: string): void {
  if (allowed.includes(Number(row.statecode))) return;
  const state = ['a draft', 'active', 'won', 'closed'][Number(row.statecode)] ?? 'in another state';
  const hint = row.statecode === QUOTE_STATE.draft ? ' Activate it first.' : row.statecode === QUOTE_STATE.active ? ' Close it (CloseQuote, Status 7 Revised) first.' : '';
  throw invalidArgument(`The quote with Id ${id} is ${state} and cannot be ${verb}.${hint}`);
}

function guidParameter(value: unknown, name: string): string {
  const id = String(value).replace(/^\{|\}$/g, '').toLowerCase();
  if (!isGuid(id)) throw invalidArgument(`${name} '${String(value).slice(0, 64)}' is not a valid Guid.`);
  return id;
}

const LINE_COPY = ['productid', 'productdescription', 'isproductoverridden', 'ispriceoverridden', 'uomid', 'quantity', 'priceperunit', 'manualdiscountamount', 'tax', 'lineitemnumber', 'description'];

/** Copies the lines of one parent to another (opportunity → quote, quote → quote, quote → order). */
function copyLines(scope: RequestScope, from: 'opportunity' | 'quote', fromId: string, to: 'quote' | 'salesorder', toId: string): void {
  const fromLine = LINE_OF[from]!;
  const toLine = actionTable(scope, LINE_OF[to]!);
  const key = LINE_TABLES[fromLine]!.parentAttribute;
  const toKey = LINE_TABLES[toLine.logicalName]!.parentAttribute;
  const toSet = actionTable(scope, to).entitySetName;
  const rows = scope.core.store.all(`SELECT * FROM "${fromLine}" WHERE "${key}" = ? ORDER BY lineitemnumber, createdon`, [fromId]);
  for (const r of rows) {
    const v = copyColumns(r, LINE_COPY);
    const body: JsonObject = { ...v, [`${toKey}@odata.bind`]: `/${toSet}(${toId})` };
    delete body.productid;
    delete body.uomid;
    if (typeof r.productid === 'string') body['productid@odata.bind'] = `/products(${r.productid})`;
    if (typeof r.uomid === 'string') body['uomid@odata.bind'] = `/uoms(${r.uomid})`;
    for (const b of ['isproductoverridden', 'ispriceoverridden']) if (typeof body[b] === 'number') body[b] = body[b] === 1;
    createRecord(scope.write, toLine, body);
  }
}

function bindsOf(row: Row, columns: Readonly<Record<string, string>>): JsonObject {
  const out: JsonObject = {};
  for (const [column, set] of Object.entries(columns)) {
    const v = row[column];
    if (typeof v === 'string') out[`${column}@odata.bind`] = `/${set}(${v})`;
  }
  return out;
}

function customerBind(scope: RequestScope, id: unknown): JsonObject {
  if (typeof id !== 'string') return {};
  const table = scope.core.store.names.get(id)?.table;
  return table === 'contact' ? { 'customerid_contact@odata.bind': `/contacts(${id})` } : { 'customerid_account@odata.bind': `/accounts(${id})` };
}

/** The entity an action returns, with the columns it names (ColumnSet is honoured as "all columns"). */
function entityResult(scope: RequestScope, table: TableDef, id: string, select: string[]): ApiResponse {
  const query = resolveQuery(scope.engine, table, { select, expand: [] });
  const record = retrieveRecord(scope.engine, query, id);
  return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}/$entity`, ...record } };
}

const QUOTE_RESULT = ['quoteid', 'name', 'quotenumber', 'revisionnumber', 'statecode', 'statuscode', 'totalamount', '_opportunityid_value'];

/**
 * `POST /ReviseQuote { QuoteId, ColumnSet }` → the new draft revision (revisequote action
 * reference: "Sets the state of a quote to Draft"). Only a closed quote is revised: an active quote
 * is closed as Revised first, a draft needs no revision and a won quote is final (revise_quote MCP
 * tool reference, https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/revise_quote).
 */
function reviseQuote(scope: RequestScope): ApiResponse {
  const p = actionParameters('quotes', 'ReviseQuote', scope.req.body, { QuoteId: { type: 'string', required: true }, ColumnSet: { type: 'any', required: false } });
  const id = guidParameter(p.QuoteId, 'QuoteId');
  const quote = actionTable(scope, 'quote');
  scope.access.require('Read', quote);
  scope.access.require('Create', quote);
  scope.access.require('Write', quote);
  const row = loadRow(scope.core.store, quote, id);
  if (!row) throw notFound('quote', id);
  requireQuoteState(row, id, [QUOTE_STATE.closed], 'revised');
  const newId = scope.core.store.transaction(() => {
    const copy = copyColumns(row, ['name', 'description', 'discountamount', 'effectivefrom', 'effectiveto']);
    const created = createRecord(scope.write, quote, {
      ...copy,
      ...customerBind(scope, row.customerid),
      ...bindsOf(row, { opportunityid: 'opportunities', pricelevelid: 'pricelevels' }),
    });
    // A revision keeps the quote's number and counts up its revision (quote table reference: QuoteNumber, RevisionNumber).
    scope.core.store.run(`UPDATE quote SET revisionnumber = ?, quotenumber = ? WHERE quoteid = ?`, [Number(row.revisionnumber ?? 0) + 1, row.quotenumber ?? null, created]);
    copyLines(scope, 'quote', id, 'quote', created);
    computeTotals(scope.core.store, scope.core.model, 'quote', created, scope.core.store.nextVersion());
    return created;
  });
  return entityResult(scope, quote, newId, QUOTE_RESULT);
}

/**
 * `POST /ConvertQuoteToSalesOrder { QuoteId, ColumnSet, QuoteCloseDate, QuoteCloseStatus, … }` →
 * the sales order (convertquotetosalesorder action reference). A won quote converts as it is; an
 * active quote is won first with the close metadata, which the service requires then; a draft,
 * lost, canceled or revised quote is refused (convert_quote_to_order MCP tool reference,
 * https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/convert_quote_to_order).
 */
function convertQuoteToSalesOrder(scope: RequestScope): ApiResponse {
  const p = actionParameters('quotes', 'ConvertQuoteToSalesOrder', scope.req.body, {
    QuoteId: { type: 'string', required: true },
    ColumnSet: { type: 'any', required: false },
    QuoteCloseDate: { type: 'string', required: false },
    QuoteCloseStatus: { type: 'integer', required: false },
    QuoteCloseSubject: { type: 'string', required: false },
    QuoteCloseDescription: { type: 'string', required: false },
    ProcessInstanceId: { type: 'any', required: false },
  });
  const id = guidParameter(p.QuoteId, 'QuoteId');
  const quote = actionTable(scope, 'quote');
  const order = actionTable(scope, 'salesorder');
  scope.access.require('Read', quote);
  scope.access.require('Create', order);
  scope.access.require('Append', order);
  scope.access.require('AppendTo', quote);
  const row = loadRow(scope.core.store, quote, id);
  if (!row) throw notFound('quote', id);
  requireQuoteState(row, id, [QUOTE_STATE.active, QUOTE_STATE.won], 'converted to an order');
  const closeStatus = typeof p.QuoteCloseStatus === 'number' ? p.QuoteCloseStatus : 4;
  if (row.statecode === QUOTE_STATE.active) {
    if (typeof p.QuoteCloseDate !== 'string') throw invalidArgument(`The quote with Id ${id} is active: QuoteCloseDate is required to win it before it is converted to an order.`);
    if (statusOf(quote, closeStatus) !== QUOTE_STATE.won) throw invalidArgument(`${closeStatus} is not a valid status code for state code QuoteState.Won on quote with Id ${id}.`);
    scope.access.require('Write', quote);
  }
  const orderId = scope.core.store.transaction(() => {
    if (row.statecode === QUOTE_STATE.active) {
      createRecord(scope.write, actionTable(scope, 'quoteclose'), {
        subject: typeof p.QuoteCloseSubject === 'string' ? p.QuoteCloseSubject : 'Quote won',
        ...(typeof p.QuoteCloseDescription === 'string' ? { description: p.QuoteCloseDescription } : {}),
        actualend: p.QuoteCloseDate,
        quotestatuscode: closeStatus,
        'quoteid@odata.bind': `/quotes(${id})`,
        statecode: 1,
        statuscode: 2,
      });
      systemUpdate(scope.write, quote, id, { statecode: QUOTE_STATE.won, statuscode: closeStatus, closedon: String(p.QuoteCloseDate).slice(0, 10) });
    }
    const created = createRecord(scope.write, order, {
      ...copyColumns(row, ['name', 'description', 'discountamount']),
      ...customerBind(scope, row.customerid),
      ...bindsOf(row, { opportunityid: 'opportunities', pricelevelid: 'pricelevels' }),
      'quoteid@odata.bind': `/quotes(${id})`,
    });
    copyLines(scope, 'quote', id, 'salesorder', created);
    computeTotals(scope.core.store, scope.core.model, 'salesorder', created, scope.core.store.nextVersion());
    return created;
  });
  return entityResult(scope, order, orderId, ['salesorderid', 'name', 'ordernumber', 'statecode', 'statuscode', 'totalamount', '_quoteid_value', '_opportunityid_value']);
}

/**
 * `POST /GenerateQuoteFromOpportunity { OpportunityId, ColumnSet }` → a draft quote with the
 * opportunity's customer, price list and products (generatequotefromopportunity action reference;
 * create_quote_from_opportunity MCP tool reference). A closed opportunity is read-only
 * ("Can't edit an opportunity", Troubleshoot issues with an opportunity).
 */
function generateQuoteFromOpportunity(scope: RequestScope): ApiResponse {
  const p = actionParameters('quotes', 'GenerateQuoteFromOpportunity', scope.req.body, { OpportunityId: { type: 'string', required: true }, ColumnSet: { type: 'any', required: false } });
  const id = guidParameter(p.OpportunityId, 'OpportunityId');
  const opportunity = actionTable(scope, 'opportunity');
  const quote = actionTable(scope, 'quote');
  scope.access.require('Read', opportunity);
  scope.access.require('AppendTo', opportunity);
  scope.access.require('Create', quote);
  scope.access.require('Append', quote);
  const row = loadRow(scope.core.store, opportunity, id);
  if (!row) throw notFound('opportunity', id);
  if (row.statecode !== OPPORTUNITY_STATE.open) throw invalidArgument(`The opportunity with Id ${id} is closed; reopen it to generate a quote.`);
  if (typeof row.pricelevelid !== 'string') throw invalidArgument(`The opportunity with Id ${id} has no price list; set its price list (pricelevelid) before generating a quote.`);
  const quoteId = scope.core.store.transaction(() => {
    const created = createRecord(scope.write, quote, {
      name: row.name,
      ...customerBind(scope, row.customerid),
      'opportunityid@odata.bind': `/opportunities(${id})`,
      'pricelevelid@odata.bind': `/pricelevels(${row.pricelevelid})`,
    });
    copyLines(scope, 'opportunity', id, 'quote', created);
    computeTotals(scope.core.store, scope.core.model, 'quote', created, scope.core.store.nextVersion());
    return created;
  });
  return entityResult(scope, quote, quoteId, QUOTE_RESULT);
}

/**
 * `POST /CalculatePrice { Target, ParentId }` (calculateprice action reference; "Target:
 * crmbaseentity"): recomputes the totals of an opportunity, quote or order from its lines. A closed
 * opportunity and a quote that is no longer a draft keep their amounts.
 */
function calculatePrice(scope: RequestScope): ApiResponse {
  const p = actionParameters('opportunities', 'CalculatePrice', scope.req.body, { Target: { type: 'object', required: true }, ParentId: { type: 'any', required: false } });
  const target = p.Target as JsonObject;
  const type = String(target['@odata.type'] ?? '').replace(/^#?Microsoft\.Dynamics\.CRM\./, '');
  if (type !== 'opportunity' && type !== 'quote' && type !== 'salesorder') {
    throw invalidArgument(`CalculatePrice supports an opportunity, quote or salesorder Target (with @odata.type and its id); got '${type || 'no @odata.type'}'.`);
  }
  const table = actionTable(scope, type);
  const id = guidParameter(target[table.primaryIdAttribute], table.primaryIdAttribute);
  scope.access.require('Read', table);
  scope.access.require('Write', table);
  const row = loadRow(scope.core.store, table, id);
  if (!row) throw notFound(type, id);
  if (type === 'opportunity' && row.statecode !== OPPORTUNITY_STATE.open) throw invalidArgument(`The opportunity with Id ${id} is closed; its amounts are final.`);
  if (type === 'quote' && row.statecode !== QUOTE_STATE.draft) throw invalidArgument(`The quote with Id ${id} is not a draft; its amounts are locked.`);
  scope.core.store.transaction(() => {
    computeTotals(scope.core.store, scope.core.model, type, id, scope.core.store.nextVersion());
    scope.core.store.run(`UPDATE "${type}" SET modifiedon = ?, modifiedby = ? WHERE "${table.primaryIdAttribute}" = ?`, [toIso(scope.write.now), scope.req.principal.systemUserId, id]);
  });
  return { status: 204 };
}
