import { stableGuid } from '../ids.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { Store } from '../store/store.js';
import { LOCAL_USERS } from '../users.js';
import { Inserter } from './seedOrganisation.js';

/**
 * The custom APIs Copilot in Dynamics 365 Sales adds to an org, as rows of the custom API tables
 * ("MCP tools for Copilot in Dynamics 365 Sales": msdyn_SalesRecordSummary takes `RecordId`, a
 * string). Its response properties are not documented: `Summary` (String) here, which is why the
 * server reads the response property names from these rows instead of assuming them.
 */
export const COPILOT_APIS = [
  {
    uniquename: 'msdyn_SalesRecordSummary',
    displayname: 'Sales record summary',
    description: 'Retrieve record summary for the given record',
    request: [{ uniquename: 'RecordId', type: 10 }],
    response: [{ uniquename: 'Summary', type: 10 }],
  },
] as const;

/** Idempotent and drawn from no PRNG, like the other later additions: a saved org gets the rows when it is loaded. */
export function seedCopilotApis(store: Store, model: MetadataModel): void {
  const ins = new Inserter(store, model);
  const adminId = LOCAL_USERS.find((u) => u.roles.includes('System Administrator'))?.systemUserId ?? null;
  const created = store.get(`SELECT MIN(createdon) AS at FROM businessunit`)?.at ?? null;
  const stamp = { createdon: created, modifiedon: created, createdby: adminId, modifiedby: adminId, ownerid: adminId };
  store.transaction(() => {
    for (const api of COPILOT_APIS) {
      const id = stableGuid(`customapi:${api.uniquename}`);
      if (store.get(`SELECT 1 AS x FROM customapi WHERE customapiid = ?`, [id])) continue;
      ins.insert('customapi', { customapiid: id, name: api.uniquename, uniquename: api.uniquename, displayname: api.displayname, description: api.description, bindingtype: 0, isfunction: false, isprivate: false, allowedcustomprocessingsteptype: 0, ...stamp });
      for (const p of api.request) {
        ins.insert('customapirequestparameter', { customapirequestparameterid: stableGuid(`customapirequestparameter:${api.uniquename}.${p.uniquename}`), name: `${api.uniquename}.${p.uniquename}`, uniquename: p.uniquename, displayname: p.uniquename, type: p.type, isoptional: false, customapiid: id, ...stamp });
      }
      for (const p of api.response) {
        ins.insert('customapiresponseproperty', { customapiresponsepropertyid: stableGuid(`customapiresponseproperty:${api.uniquename}.${p.uniquename}`), name: `${api.uniquename}.${p.uniquename}`, uniquename: p.uniquename, displayname: p.uniquename, type: p.type, customapiid: id, ...stamp });
      }
    }
  });
}
