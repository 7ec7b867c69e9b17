import { toolset } from '../defineTool.js';
import { addOpportunityProduct } from './addOpportunityProduct.js';
import { closeOpportunity } from './closeOpportunity.js';
import { closeQuote } from './closeQuote.js';
import { convertQuoteToOrder } from './convertQuoteToOrder.js';
import { createCompetitor } from './createCompetitor.js';
import { createQuoteFromOpportunity } from './createQuoteFromOpportunity.js';
import { deleteOpportunityProduct } from './deleteOpportunityProduct.js';
import { getOpportunitySummary } from './getOpportunitySummary.js';
import { getPriceList } from './getPriceList.js';
import { getProduct } from './getProduct.js';
import { getProductPricing } from './getProductPricing.js';
import { linkCompetitorToOpportunity } from './linkCompetitorToOpportunity.js';
import { recalculateOpportunityPrice } from './recalculateOpportunityPrice.js';
import { reopenOpportunity } from './reopenOpportunity.js';
import { reviseQuote } from './reviseQuote.js';
import { setQuoteActive } from './setQuoteActive.js';
import { updateOpportunityProducts } from './updateOpportunityProducts.js';

/** The Sales pipeline past the opportunity, under the Dynamics 365 CX MCP Server's names. */
export const pipelineTools = toolset('pipeline', [
  getOpportunitySummary,
  closeOpportunity,
  reopenOpportunity,
  addOpportunityProduct,
  updateOpportunityProducts,
  deleteOpportunityProduct,
  recalculateOpportunityPrice,
  getProduct,
  getPriceList,
  getProductPricing,
  createQuoteFromOpportunity,
  setQuoteActive,
  reviseQuote,
  closeQuote,
  convertQuoteToOrder,
  createCompetitor,
  linkCompetitorToOpportunity,
]);
