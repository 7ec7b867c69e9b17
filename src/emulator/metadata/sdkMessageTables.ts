import { col, defineTable } from './defineTable.js';
import type { TableDef } from './types.js';

/**
 * The message tables a client reads to learn which messages a table supports: `sdkmessage` (one
 * row per message) and `sdkmessagefilter` (one row per message and table, `primaryobjecttypecode`
 * the table's logical name). "You can use the CreateMultiple and UpdateMultiple bulk operation
 * messages with custom standard tables and many common standard tables, but not all. You should
 * test whether individual standard tables support these messages" with
 * `sdkmessagefilters?$filter=sdkmessageid/name eq @message and primaryobjecttypecode eq @table`
 * ("Use bulk operation messages", Availability with standard tables,
 * https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations; sdkmessage and
 * sdkmessagefilter table references). Only rows of the bulk messages are kept here.
 */
const sdkmessage = defineTable(
  {
    logicalName: 'sdkmessage',
    schemaName: 'SdkMessage',
    entitySetName: 'sdkmessages',
    displayName: 'Sdk Message',
    displayCollectionName: 'Sdk Messages',
    description: 'Message that is supported by the SDK.',
    objectTypeCode: 4606,
    privilegeName: 'SdkMessage',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
    audit: false,
  },
  [col.text('name', 'Name', 256, { required: 'SystemRequired' }), col.text('categoryname', 'Category Name', 25)],
);

const sdkmessagefilter = defineTable(
  {
    logicalName: 'sdkmessagefilter',
    schemaName: 'SdkMessageFilter',
    entitySetName: 'sdkmessagefilters',
    displayName: 'Sdk Message Filter',
    displayCollectionName: 'Sdk Message Filters',
    description: 'Filter that defines which SDK messages are valid for each type of entity.',
    objectTypeCode: 4607,
    privilegeName: 'SdkMessageFilter',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
    audit: false,
  },
  [
    col.text('name', 'Name', 256),
    col.lookup('sdkmessageid', 'SDK Message ID', [{ table: 'sdkmessage', nav: 'sdkmessageid', relationship: 'sdkmessageid_sdkmessagefilter', cascadeDelete: true }], { required: 'SystemRequired' }),
    col.text('primaryobjecttypecode', 'Primary Object Type Code', 100),
    col.text('secondaryobjecttypecode', 'Secondary Object Type Code', 100),
    col.int('availability', 'Availability', 0, 2),
    col.bool('isvisible', 'Is Visible'),
  ],
);

export const SDK_MESSAGE_TABLES: readonly TableDef[] = [sdkmessage, sdkmessagefilter];
