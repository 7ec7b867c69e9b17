import { toolset } from '../defineTool.js';
import { createRecord } from './createRecord.js';
import { createTable } from './createTable.js';
import { deleteRecord } from './deleteRecord.js';
import { deleteTable } from './deleteTable.js';
import { describeTool } from './describe.js';
import { describeTable } from './describeTable.js';
import { listTables } from './listTables.js';
import { readQuery } from './readQuery.js';
import { searchData } from './searchData.js';
import { searchMetadata } from './searchMetadata.js';
import { updateRecord } from './updateRecord.js';
import { updateTable } from './updateTable.js';

export const dataverseTools = toolset('dataverse', [listTables, describeTable, describeTool, searchMetadata, searchData, readQuery, createRecord, updateRecord, deleteRecord, createTable, updateTable, deleteTable]);
