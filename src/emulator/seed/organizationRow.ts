import { stableGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { Store } from '../store/store.js';
import { Inserter } from './seedOrganisation.js';

/** The base currency of the sample org (US dollars), as a new environment in the United States has it. */
export const BASE_CURRENCY = { code: 'USD', name: 'US Dollar', symbol: '$' } as const;

/** The organization row and its base currency; idempotent, so a saved org gets them when loaded. */
export function seedOrganizationRow(store: Store, model: MetadataModel, organizationId: string): void {
  if (!model.table('organization') || !organizationId) return;
  const ins = new Inserter(store, model);
  const currencyId = stableGuid(`transactioncurrency:${BASE_CURRENCY.code}`);
  store.transaction(() => {
    if (!store.get(`SELECT 1 AS x FROM transactioncurrency WHERE transactioncurrencyid = ?`, [currencyId])) {
      ins.insert('transactioncurrency', { transactioncurrencyid: currencyId, currencyname: BASE_CURRENCY.name, isocurrencycode: BASE_CURRENCY.code, currencysymbol: BASE_CURRENCY.symbol, exchangerate: 1, currencyprecision: 2, statecode: 0, statuscode: 1 });
    }
    if (!store.get(`SELECT 1 AS x FROM organization WHERE organizationid = ?`, [organizationId])) {
      ins.insert('organization', { organizationid: organizationId, name: 'Contoso (emulated)', basecurrencyid: currencyId, languagecode: 1033 });
    }
  });
}
