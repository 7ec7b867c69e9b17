import { PIPELINE_IDS } from '../../src/emulator/seed/salesPipeline.js';
import { create, dataverseAs } from '../helpers/dataverse.js';
import type { TestServer } from '../helpers/harness.js';

export interface PipelineIds {
  withLines: string;
  line: string;
  deletableLines: string[];
  closable: string[];
  won: string[];
  drafts: string[];
  active: string[];
}

/** Opportunities, lines and quotes in the states the pipeline tools start from, arranged through the Web API as alice. */
export async function arrangePipeline(server: TestServer, accountId: string): Promise<PipelineIds> {
  const api = dataverseAs(server, 'alice');
  const opportunity = (name: string) =>
    create(api, 'opportunities', { name, 'customerid_account@odata.bind': `/accounts(${accountId})`, 'pricelevelid@odata.bind': `/pricelevels(${PIPELINE_IDS.retail})`, isrevenuesystemcalculated: true });
  const line = (opportunityId: string) =>
    create(api, 'opportunityproducts', { 'opportunityid@odata.bind': `/opportunities(${opportunityId})`, 'productid@odata.bind': `/products(${PIPELINE_IDS.product('scanner')})`, 'uomid@odata.bind': `/uoms(${PIPELINE_IDS.uom('each')})`, quantity: 2 });
  const withLines = await opportunity('Budget deal');
  const first = await line(withLines);
  const deletableLines = [await line(withLines), await line(withLines)];
  const closable = [await opportunity('Budget close 0'), await opportunity('Budget close 1')];
  const won: string[] = [];
  for (const n of [0, 1]) {
    const id = await opportunity(`Budget won ${n}`);
    await api('WinOpportunity', { method: 'POST', body: { OpportunityClose: { 'opportunityid@odata.bind': `/opportunities(${id})` }, Status: 3 } });
    won.push(id);
  }
  const quoteSource = await opportunity('Budget quotes');
  await line(quoteSource);
  const quote = async () => (await api<{ quoteid: string }>('GenerateQuoteFromOpportunity', { method: 'POST', body: { OpportunityId: quoteSource } })).body.quoteid;
  const drafts = [await quote(), await quote()];
  const active: string[] = [];
  for (let i = 0; i < 6; i++) {
    const id = await quote();
    await api(`quotes(${id})`, { method: 'PATCH', body: { statecode: 1, statuscode: 2 } });
    active.push(id);
  }
  return { withLines, line: first, deletableLines, closable, won, drafts, active };
}
