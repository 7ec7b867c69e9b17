import { ACTIVE_INACTIVE, col, defineTable } from './defineTable.js';
import type { TableDef } from './types.js';

/**
 * The organization row and its currencies: `organization.basecurrencyid` names the
 * `transactioncurrency` every amount of this emulated org is in (organization and
 * transactioncurrency table references; transaction currencies themselves are left out of the
 * records, see salesTables.ts). Readable by every role, like the rest of the org's settings.
 */
const transactioncurrency = defineTable(
  {
    logicalName: 'transactioncurrency',
    schemaName: 'TransactionCurrency',
    entitySetName: 'transactioncurrencies',
    displayName: 'Currency',
    displayCollectionName: 'Currencies',
    description: 'Currency in which a financial transaction is carried out.',
    objectTypeCode: 9105,
    privilegeName: 'TransactionCurrency',
    primaryNameAttribute: 'currencyname',
    ownership: 'OrganizationOwned',
    ...ACTIVE_INACTIVE,
  },
  [
    col.text('currencyname', 'Currency Name', 100, { required: 'SystemRequired' }),
    col.text('isocurrencycode', 'Currency Code', 5, { required: 'SystemRequired', createOnly: true }),
    col.text('currencysymbol', 'Currency Symbol', 13, { required: 'SystemRequired' }),
    col.decimal('exchangerate', 'Exchange Rate', 10),
    col.int('currencyprecision', 'Currency Precision', 0, 4),
  ],
);

const organization = defineTable(
  {
    logicalName: 'organization',
    schemaName: 'Organization',
    entitySetName: 'organizations',
    displayName: 'Organization',
    displayCollectionName: 'Organizations',
    description: 'Top level of the Microsoft Dynamics 365 business hierarchy.',
    objectTypeCode: 1019,
    privilegeName: 'Organization',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
  },
  [
    col.text('name', 'Organization Name', 160, { required: 'SystemRequired' }),
    col.lookup('basecurrencyid', 'Currency', [{ table: 'transactioncurrency', nav: 'basecurrencyid', relationship: 'basecurrency_organization' }]),
    col.int('languagecode', 'Language', 0, 2147483647),
  ],
);

export const ORGANIZATION_TABLES: readonly TableDef[] = [transactioncurrency, organization];
