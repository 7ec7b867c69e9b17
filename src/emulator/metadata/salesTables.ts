import { type ColumnSpec, col, defineTable } from './defineTable.js';
import type { LookupTarget, ManyToManyDef, TableDef } from './types.js';

/**
 * The Sales pipeline past the opportunity: catalogue (unit, product, price list and its items),
 * opportunity lines, quotes and their lines, orders and their lines, competitors, and the close
 * activities the Win/Lose/Close messages create. Logical names, entity sets, primary names,
 * ownership, state/status values and relationship schema names as the table references list them
 * (https://learn.microsoft.com/dynamics365/developer/reference/entities/<table>: product,
 * pricelevel, productpricelevel, opportunityproduct, quote, quotedetail, salesorder,
 * salesorderdetail, competitor, opportunityclose, quoteclose, uom, uomschedule).
 * Transaction currencies are left out: every amount is in the organisation's base currency.
 */

const one = (table: string, nav: string, relationship: string, cascadeDelete = false): LookupTarget[] => [
  { table, nav, relationship, ...(cascadeDelete ? { cascadeDelete: true } : {}) },
];

/** Lines share their columns (opportunityproduct, quotedetail, salesorderdetail table references). */
function lineColumns(uomRelationship: string, productRelationship: string): ColumnSpec[] {
  return [
    col.lookup('productid', 'Existing Product', one('product', 'productid', productRelationship)),
    col.text('productdescription', 'Write-In Product', 500),
    col.bool('isproductoverridden', 'Select Product', 'Write-In', 'Existing'),
    col.bool('ispriceoverridden', 'Price Overridden', 'Override Price', 'Use Default'),
    col.lookup('uomid', 'Unit', one('uom', 'uomid', uomRelationship)),
    col.decimal('quantity', 'Quantity', 5),
    col.money('priceperunit', 'Price Per Unit'),
    col.money('baseamount', 'Amount', { readOnly: true }),
    col.money('manualdiscountamount', 'Manual Discount'),
    col.money('tax', 'Tax'),
    col.money('extendedamount', 'Extended Amount', { readOnly: true }),
    col.int('lineitemnumber', 'Line Item Number', 0, 1000000000),
    col.memo('description', 'Description', 2000),
    col.choice(
      'pricingerrorcode',
      'Pricing Error',
      [
        [0, 'None'],
        [10, 'Missing UOM'],
        [11, 'Product Not In Price Level'],
      ],
      { readOnly: true, optionSet: 'qooi_pricingerrorcode' },
    ),
  ];
}

const uomschedule = defineTable(
  {
    logicalName: 'uomschedule',
    schemaName: 'UoMSchedule',
    entitySetName: 'uomschedules',
    displayName: 'Unit Group',
    displayCollectionName: 'Unit Groups',
    description: 'Grouping of units.',
    objectTypeCode: 1056,
    privilegeName: 'UoMSchedule',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
  },
  [col.text('name', 'Name', 200, { required: 'SystemRequired' }), col.text('baseuomname', 'Primary Unit', 100)],
);

const uom = defineTable(
  {
    logicalName: 'uom',
    schemaName: 'UoM',
    entitySetName: 'uoms',
    displayName: 'Unit',
    displayCollectionName: 'Units',
    description: 'Unit of measure.',
    objectTypeCode: 1055,
    privilegeName: 'UoM',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
  },
  [
    col.text('name', 'Name', 100, { required: 'SystemRequired' }),
    col.lookup('uomscheduleid', 'Unit Schedule', one('uomschedule', 'uomscheduleid', 'unit_of_measure_schedule_conversions', true), { required: 'SystemRequired' }),
    col.decimal('quantity', 'Quantity', 5),
  ],
);

const product = defineTable(
  {
    logicalName: 'product',
    schemaName: 'Product',
    entitySetName: 'products',
    displayName: 'Product',
    displayCollectionName: 'Products',
    description: 'Information about products and their pricing information.',
    objectTypeCode: 1024,
    privilegeName: 'Product',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
    hasNotes: true,
    states: [
      { value: 0, label: 'Active', defaultStatus: 1 },
      { value: 1, label: 'Retired', defaultStatus: 2 },
      { value: 2, label: 'Draft', defaultStatus: 0 },
      { value: 3, label: 'Under Revision', defaultStatus: 3 },
    ],
    statuses: [
      { value: 0, label: 'Draft', state: 2 },
      { value: 1, label: 'Active', state: 0 },
      { value: 2, label: 'Retired', state: 1 },
      { value: 3, label: 'Under Revision', state: 3 },
    ],
  },
  [
    col.text('name', 'Name', 100, { required: 'ApplicationRequired' }),
    col.text('productnumber', 'Product ID', 100, { required: 'SystemRequired' }),
    col.memo('description', 'Description', 2000),
    col.money('price', 'List Price'),
    col.money('standardcost', 'Standard Cost'),
    col.money('currentcost', 'Current Cost'),
    col.int('quantitydecimal', 'Decimals Supported', 0, 5, { required: 'SystemRequired' }),
    col.choice('productstructure', 'Product Structure', [
      [1, 'Product'],
      [2, 'Product Family'],
      [3, 'Product Bundle'],
    ]),
    col.choice('producttypecode', 'Product Type', [
      [1, 'Sales Inventory'],
      [2, 'Miscellaneous Charges'],
      [3, 'Services'],
      [4, 'Flat Fees'],
    ]),
    col.url('producturl', 'URL'),
    col.lookup('defaultuomscheduleid', 'Unit Group', one('uomschedule', 'defaultuomscheduleid', 'unit_of_measurement_schedule_products')),
    col.lookup('defaultuomid', 'Default Unit', one('uom', 'defaultuomid', 'unit_of_measurement_products')),
    col.lookup('pricelevelid', 'Default Price List', one('pricelevel', 'pricelevelid', 'price_level_products')),
  ],
);

const pricelevel = defineTable(
  {
    logicalName: 'pricelevel',
    schemaName: 'PriceLevel',
    entitySetName: 'pricelevels',
    displayName: 'Price List',
    displayCollectionName: 'Price Lists',
    description: 'Entity that defines pricing levels.',
    objectTypeCode: 1022,
    privilegeName: 'PriceLevel',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
    states: [
      { value: 0, label: 'Active', defaultStatus: 100001 },
      { value: 1, label: 'Inactive', defaultStatus: 100002 },
    ],
    statuses: [
      { value: 100001, label: 'Active', state: 0 },
      { value: 100002, label: 'Inactive', state: 1 },
    ],
  },
  [
    col.text('name', 'Name', 100, { required: 'SystemRequired' }),
    col.memo('description', 'Description', 2000),
    col.dateTime('begindate', 'Start Date', 'DateOnly'),
    col.dateTime('enddate', 'End Date', 'DateOnly'),
  ],
);

const productpricelevel = defineTable(
  {
    logicalName: 'productpricelevel',
    schemaName: 'ProductPriceLevel',
    entitySetName: 'productpricelevels',
    displayName: 'Price List Item',
    displayCollectionName: 'Price List Items',
    description: 'Information about how to price a product in the specified price level, including pricing method, rounding option, and discount type based on a specified product unit.',
    objectTypeCode: 1026,
    // Price list items are secured with the price list's privileges (prvReadPriceLevel…).
    privilegeName: 'PriceLevel',
    primaryNameAttribute: '',
    ownership: 'OrganizationOwned',
  },
  [
    col.lookup('pricelevelid', 'Price List', one('pricelevel', 'pricelevelid', 'price_level_product_price_levels', true), { required: 'SystemRequired' }),
    col.lookup('productid', 'Product', one('product', 'productid', 'product_price_levels', true), { required: 'SystemRequired' }),
    col.lookup('uomid', 'Unit', one('uom', 'uomid', 'unit_of_measurement_product_price_levels'), { required: 'SystemRequired' }),
    col.money('amount', 'Amount'),
    col.choice('pricingmethodcode', 'Pricing Method', [
      [1, 'Currency Amount'],
      [2, 'Percent of List'],
      [3, 'Percent Markup - Current Cost'],
      [4, 'Percent Margin - Current Cost'],
      [5, 'Percent Markup - Standard Cost'],
      [6, 'Percent Margin - Standard Cost'],
    ]),
    col.decimal('percentage', 'Percentage', 2),
  ],
);

const competitor = defineTable(
  {
    logicalName: 'competitor',
    schemaName: 'Competitor',
    entitySetName: 'competitors',
    displayName: 'Competitor',
    displayCollectionName: 'Competitors',
    description: 'Business competing for the sale represented by a lead or opportunity.',
    objectTypeCode: 123,
    privilegeName: 'Competitor',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
    hasNotes: true,
    hasActivities: true,
  },
  [
    col.text('name', 'Competitor', 100, { required: 'ApplicationRequired' }),
    col.url('websiteurl', 'Website'),
    col.memo('overview', 'Overview', 100000),
    col.memo('strengths', 'Strengths', 100000),
    col.memo('weaknesses', 'Weaknesses', 100000),
    col.memo('opportunities', 'Opportunities', 100000),
    col.memo('threats', 'Threats', 100000),
    col.text('keyproduct', 'Key Product', 2000),
    col.money('reportedrevenue', 'Reported Revenue'),
    col.decimal('winpercentage', 'Win Percentage', 2),
  ],
);

const opportunityproduct = defineTable(
  {
    logicalName: 'opportunityproduct',
    schemaName: 'OpportunityProduct',
    entitySetName: 'opportunityproducts',
    displayName: 'Opportunity Product',
    displayCollectionName: 'Opportunity Products',
    description: 'Association between an opportunity and a product.',
    objectTypeCode: 1083,
    // Lines are parts of their opportunity: its privileges apply (prvWriteOpportunity…).
    privilegeName: 'Opportunity',
    primaryNameAttribute: 'opportunityproductname',
  },
  [
    col.text('opportunityproductname', 'Name', 500),
    col.lookup('opportunityid', 'Opportunity', one('opportunity', 'opportunityid', 'product_opportunities', true), { required: 'SystemRequired' }),
    ...lineColumns('unit_of_measurement_opportunity_products', 'opportunity_products'),
  ],
);

const quote = defineTable(
  {
    logicalName: 'quote',
    schemaName: 'Quote',
    entitySetName: 'quotes',
    displayName: 'Quote',
    displayCollectionName: 'Quotes',
    description: 'Formal offer for products and/or services, proposed at specific prices and related payment terms, which is sent to a prospective customer.',
    objectTypeCode: 1084,
    privilegeName: 'Quote',
    primaryNameAttribute: 'name',
    hasNotes: true,
    hasActivities: true,
    states: [
      { value: 0, label: 'Draft', defaultStatus: 1 },
      { value: 1, label: 'Active', defaultStatus: 2 },
      { value: 2, label: 'Won', defaultStatus: 4 },
      { value: 3, label: 'Closed', defaultStatus: 5 },
    ],
    statuses: [
      { value: 1, label: 'In Progress', state: 0 },
      { value: 2, label: 'In Progress', state: 1 },
      { value: 3, label: 'Open', state: 1 },
      { value: 4, label: 'Won', state: 2 },
      { value: 5, label: 'Lost', state: 3 },
      { value: 6, label: 'Canceled', state: 3 },
      { value: 7, label: 'Revised', state: 3 },
    ],
  },
  [
    col.text('name', 'Name', 300, { required: 'ApplicationRequired' }),
    col.text('quotenumber', 'Quote ID', 100, { readOnly: true }),
    col.int('revisionnumber', 'Revision ID', 0, 1000000000, { readOnly: true }),
    col.memo('description', 'Description', 2000),
    col.lookup(
      'customerid',
      'Potential Customer',
      [
        { table: 'account', nav: 'customerid_account', relationship: 'quote_customer_accounts' },
        { table: 'contact', nav: 'customerid_contact', relationship: 'quote_customer_contacts' },
      ],
      { type: 'Customer' },
    ),
    col.lookup('opportunityid', 'Opportunity', one('opportunity', 'opportunityid', 'opportunity_quotes', true)),
    col.lookup('pricelevelid', 'Price List', one('pricelevel', 'pricelevelid', 'price_level_quotes'), { required: 'ApplicationRequired' }),
    col.money('totallineitemamount', 'Detail Amount', { readOnly: true }),
    col.money('discountamount', 'Quote Discount Amount'),
    col.money('totaltax', 'Total Tax', { readOnly: true }),
    col.money('totalamount', 'Total Amount', { readOnly: true }),
    col.dateTime('effectivefrom', 'Effective From', 'DateOnly'),
    col.dateTime('effectiveto', 'Effective To', 'DateOnly'),
    col.dateTime('closedon', 'Closed On', 'DateOnly'),
  ],
);

const quotedetail = defineTable(
  {
    logicalName: 'quotedetail',
    schemaName: 'QuoteDetail',
    entitySetName: 'quotedetails',
    displayName: 'Quote Product',
    displayCollectionName: 'Quote Products',
    description: 'Product line item in a quote. The details include such information as product ID, description, quantity, and cost.',
    objectTypeCode: 1085,
    privilegeName: 'Quote',
    primaryNameAttribute: 'quotedetailname',
  },
  [
    col.text('quotedetailname', 'Name', 500),
    col.lookup('quoteid', 'Quote', one('quote', 'quoteid', 'quote_details', true), { required: 'SystemRequired' }),
    ...lineColumns('unit_of_measurement_quote_details', 'product_quote_details'),
  ],
);

const salesorder = defineTable(
  {
    logicalName: 'salesorder',
    schemaName: 'SalesOrder',
    entitySetName: 'salesorders',
    displayName: 'Order',
    displayCollectionName: 'Orders',
    description: 'Quote that has been accepted.',
    objectTypeCode: 1088,
    privilegeName: 'SalesOrder',
    primaryNameAttribute: 'name',
    hasNotes: true,
    hasActivities: true,
    states: [
      { value: 0, label: 'Active', defaultStatus: 1 },
      { value: 1, label: 'Submitted', defaultStatus: 3 },
      { value: 2, label: 'Canceled', defaultStatus: 4 },
      { value: 3, label: 'Fulfilled', defaultStatus: 100001 },
      { value: 4, label: 'Invoiced', defaultStatus: 100003 },
    ],
    statuses: [
      { value: 1, label: 'New', state: 0 },
      { value: 2, label: 'Pending', state: 0 },
      { value: 3, label: 'In Progress', state: 1 },
      { value: 4, label: 'No Money', state: 2 },
      { value: 100001, label: 'Complete', state: 3 },
      { value: 100002, label: 'Partial', state: 3 },
      { value: 100003, label: 'Invoiced', state: 4 },
    ],
  },
  [
    col.text('name', 'Name', 300, { required: 'ApplicationRequired' }),
    col.text('ordernumber', 'Order ID', 100, { readOnly: true }),
    col.memo('description', 'Description', 2000),
    col.lookup(
      'customerid',
      'Customer',
      [
        { table: 'account', nav: 'customerid_account', relationship: 'order_customer_accounts' },
        { table: 'contact', nav: 'customerid_contact', relationship: 'order_customer_contacts' },
      ],
      { type: 'Customer' },
    ),
    col.lookup('opportunityid', 'Opportunity', one('opportunity', 'opportunityid', 'opportunity_sales_orders')),
    col.lookup('quoteid', 'Quote', one('quote', 'quoteid', 'quote_orders')),
    col.lookup('pricelevelid', 'Price List', one('pricelevel', 'pricelevelid', 'price_level_orders'), { required: 'ApplicationRequired' }),
    col.money('totallineitemamount', 'Detail Amount', { readOnly: true }),
    col.money('discountamount', 'Order Discount Amount'),
    col.money('totaltax', 'Total Tax', { readOnly: true }),
    col.money('totalamount', 'Total Amount', { readOnly: true }),
    col.dateTime('submitdate', 'Date Submitted', 'DateOnly'),
  ],
);

const salesorderdetail = defineTable(
  {
    logicalName: 'salesorderdetail',
    schemaName: 'SalesOrderDetail',
    entitySetName: 'salesorderdetails',
    displayName: 'Order Product',
    displayCollectionName: 'Order Products',
    description: 'Line item in a sales order.',
    objectTypeCode: 1089,
    privilegeName: 'SalesOrder',
    primaryNameAttribute: 'salesorderdetailname',
  },
  [
    col.text('salesorderdetailname', 'Name', 500),
    col.lookup('salesorderid', 'Order', one('salesorder', 'salesorderid', 'order_details', true), { required: 'SystemRequired' }),
    ...lineColumns('unit_of_measurement_order_details', 'product_order_details'),
  ],
);

const CLOSE_STATES = {
  states: [
    { value: 0, label: 'Open', defaultStatus: 1 },
    { value: 1, label: 'Completed', defaultStatus: 2 },
    { value: 2, label: 'Canceled', defaultStatus: 3 },
  ],
  statuses: [
    { value: 1, label: 'Open', state: 0 },
    { value: 2, label: 'Completed', state: 1 },
    { value: 3, label: 'Canceled', state: 2 },
  ],
};

/** Created by WinOpportunity/LoseOpportunity (opportunityclose table reference). */
const opportunityclose = defineTable(
  {
    logicalName: 'opportunityclose',
    schemaName: 'OpportunityClose',
    entitySetName: 'opportunitycloses',
    primaryIdAttribute: 'activityid',
    displayName: 'Opportunity Close',
    displayCollectionName: 'Opportunity Close Activities',
    description: 'Activity that is created automatically when an opportunity is closed, containing information such as the description of the closing and actual revenue.',
    objectTypeCode: 4208,
    privilegeName: 'Activity',
    primaryNameAttribute: 'subject',
    ...CLOSE_STATES,
  },
  [
    col.text('subject', 'Subject', 200),
    col.memo('description', 'Description', 2000),
    col.lookup('opportunityid', 'Opportunity', [{ table: 'opportunity', nav: 'opportunityid', relationship: 'Opportunity_OpportunityClose', cascadeDelete: true }]),
    col.lookup('competitorid', 'Competitor', one('competitor', 'competitorid', 'competitor_opportunity_activities')),
    col.money('actualrevenue', 'Actual Revenue'),
    col.dateTime('actualend', 'Close Date', 'DateOnly'),
    col.int('opportunitystatuscode', 'Status Reason', 0, 2147483647),
  ],
);

/** Created by CloseQuote and ConvertQuoteToSalesOrder (quoteclose table reference). */
const quoteclose = defineTable(
  {
    logicalName: 'quoteclose',
    schemaName: 'QuoteClose',
    entitySetName: 'quotecloses',
    primaryIdAttribute: 'activityid',
    displayName: 'Quote Close',
    displayCollectionName: 'Quote Close Activities',
    description: 'Activity generated when a quote is closed.',
    objectTypeCode: 4211,
    privilegeName: 'Activity',
    primaryNameAttribute: 'subject',
    ...CLOSE_STATES,
  },
  [
    col.text('subject', 'Subject', 200),
    col.memo('description', 'Description', 2000),
    col.lookup('quoteid', 'Quote', [{ table: 'quote', nav: 'quoteid', relationship: 'Quote_QuoteClose', cascadeDelete: true }]),
    col.dateTime('actualend', 'Close Date', 'DateOnly'),
    col.int('quotestatuscode', 'Status Reason', 0, 2147483647),
  ],
);

/** Columns the pipeline adds to the opportunity (opportunity table reference): its price list and totals. */
export const OPPORTUNITY_PIPELINE_COLUMNS: ColumnSpec[] = [
  col.lookup('pricelevelid', 'Price List', one('pricelevel', 'pricelevelid', 'price_level_opportunties')),
  col.bool('isrevenuesystemcalculated', 'Revenue', 'System Calculated', 'User Provided'),
  col.money('totallineitemamount', 'Total Detail Amount', { readOnly: true }),
  col.money('discountamount', 'Opportunity Discount Amount'),
  col.money('totaltax', 'Total Tax', { readOnly: true }),
  col.money('totalamount', 'Total Amount', { readOnly: true }),
];

export const SALES_PIPELINE_TABLES: readonly TableDef[] = [
  uomschedule,
  uom,
  product,
  pricelevel,
  productpricelevel,
  competitor,
  opportunityproduct,
  quote,
  quotedetail,
  salesorder,
  salesorderdetail,
  opportunityclose,
  quoteclose,
];

/** Opportunity ↔ competitor (opportunitycompetitors_association, intersect opportunitycompetitors). */
export const SALES_PIPELINE_MANY_TO_MANY: readonly ManyToManyDef[] = [
  {
    name: 'opportunitycompetitors_association',
    entity1: 'opportunity',
    entity2: 'competitor',
    intersect: 'opportunitycompetitors',
    entity1Column: 'opportunityid',
    entity2Column: 'competitorid',
  },
];
