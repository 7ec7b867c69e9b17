import { toolset } from '../defineTool.js';
import { assignEntity } from './assignEntity.js';
import { createActivity } from './createActivity.js';
import { createNote } from './createNote.js';
import { deleteEntityRecord } from './deleteEntityRecord.js';
import { getActivityTimeline } from './getActivityTimeline.js';
import { getEntityRecord } from './getEntityRecord.js';
import { listEntityRecords } from './listEntityRecords.js';
import { searchEntities } from './searchEntities.js';
import { searchLookupRecords } from './searchLookupRecords.js';
import { summarizeEntityTimeline } from './summarizeEntityTimeline.js';
import { updateEntityRecord } from './updateEntityRecord.js';
import { updateNote } from './updateNote.js';

/** The generic record tools of the Dynamics 365 CX MCP Server (Sales and Customer Service): records, lookups, notes, activities, timeline, assignment. */
export const recordsTools = toolset('records', [
  searchEntities,
  getEntityRecord,
  listEntityRecords,
  searchLookupRecords,
  updateEntityRecord,
  deleteEntityRecord,
  getActivityTimeline,
  summarizeEntityTimeline,
  createNote,
  updateNote,
  createActivity,
  assignEntity,
]);
