import { ACTIVE_INACTIVE, col, defineTable } from './defineTable.js';
import type { TableDef } from './types.js';

/**
 * The service desk around the case: queues and their items, SLA KPI instances and email templates.
 * Logical names, entity sets, primary names, ownership, state/status values, relationship schema
 * names and navigation properties as the table references list them
 * (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/<table>: queue,
 * queueitem, slakpiinstance, template). Columns are the subset the tools read and write.
 */

const queue = defineTable(
  {
    logicalName: 'queue',
    schemaName: 'Queue',
    entitySetName: 'queues',
    displayName: 'Queue',
    displayCollectionName: 'Queues',
    description: 'A list of records that require action, such as accounts, activities, and cases.',
    objectTypeCode: 2020,
    privilegeName: 'Queue',
    primaryNameAttribute: 'name',
    ...ACTIVE_INACTIVE,
  },
  [
    col.text('name', 'Queue Name', 400, { required: 'SystemRequired' }),
    col.memo('description', 'Description', 2000),
    col.email('emailaddress', 'Incoming Email'),
    // "Select whether the queue is public or private" (queue reference, QueueViewType).
    col.choice('queueviewtype', 'Type', [
      [0, 'Public'],
      [1, 'Private'],
    ]),
  ],
);

/**
 * queueitem: OwnershipType None; `objectid` is the case or activity in the queue (targets include
 * incident in orgs with Customer Service: Incident_QueueItem / objectid_incident), `workerid` who
 * works on it (lk_queueitembase_workerid / workerid_systemuser, team_queueitembase_workerid /
 * workerid_team); `enteredon` and `workeridmodifiedon` are read-only.
 */
const queueitem = defineTable(
  {
    logicalName: 'queueitem',
    schemaName: 'QueueItem',
    entitySetName: 'queueitems',
    displayName: 'Queue Item',
    displayCollectionName: 'Queue Items',
    description: 'A specific item in a queue, such as a case record or an activity record.',
    objectTypeCode: 2029,
    privilegeName: 'QueueItem',
    primaryNameAttribute: 'title',
    ownership: 'None',
    ...ACTIVE_INACTIVE,
  },
  [
    col.text('title', 'Title', 850),
    col.lookup('queueid', 'Queue', [{ table: 'queue', nav: 'queueid', relationship: 'queue_entries', cascadeDelete: true }], { required: 'ApplicationRequired' }),
    col.lookup(
      'objectid',
      'Object',
      [
        { table: 'incident', nav: 'objectid_incident', relationship: 'Incident_QueueItem', cascadeDelete: true },
        { table: 'email', nav: 'objectid_email', relationship: 'Email_QueueItem', cascadeDelete: true },
        { table: 'task', nav: 'objectid_task', relationship: 'Task_QueueItem', cascadeDelete: true },
        { table: 'phonecall', nav: 'objectid_phonecall', relationship: 'PhoneCall_QueueItem', cascadeDelete: true },
      ],
      { required: 'ApplicationRequired' },
    ),
    col.lookup('workerid', 'Worked By', [
      { table: 'systemuser', nav: 'workerid_systemuser', relationship: 'lk_queueitembase_workerid', collection: false },
      { table: 'team', nav: 'workerid_team', relationship: 'team_queueitembase_workerid', collection: false },
    ]),
    col.dateTime('workeridmodifiedon', 'Worked On', 'DateAndTime', { readOnly: true }),
    col.dateTime('enteredon', 'Entered Queue', 'DateAndTime', { readOnly: true }),
    col.int('priority', 'Priority', 0, 1000000000),
    col.text('sender', 'From', 250),
  ],
);

/**
 * slakpiinstance: UserOwned; `regarding` is the case (slakpiinstance_incident / regarding_incident);
 * `status` 0 In Progress, 1 Noncompliant, 2 Nearing Noncompliance, 3 Paused, 4 Succeeded, 5 Canceled.
 */
const slakpiinstance = defineTable(
  {
    logicalName: 'slakpiinstance',
    schemaName: 'SLAKPIInstance',
    entitySetName: 'slakpiinstances',
    displayName: 'SLA KPI Instance',
    displayCollectionName: 'SLA KPI Instances',
    description: 'Service level agreement (SLA) key performance indicator (KPI) instance that is tracked for an individual case',
    objectTypeCode: 9752,
    privilegeName: 'SLAKPIInstance',
    primaryNameAttribute: 'name',
  },
  [
    col.text('name', 'Name', 100, { required: 'SystemRequired' }),
    col.lookup('regarding', 'Regarding', [{ table: 'incident', nav: 'regarding_incident', relationship: 'slakpiinstance_incident', cascadeDelete: true }], { required: 'SystemRequired' }),
    col.choice(
      'status',
      'Status',
      [
        [0, 'In Progress'],
        [1, 'Noncompliant'],
        [2, 'Nearing Noncompliance'],
        [3, 'Paused'],
        [4, 'Succeeded'],
        [5, 'Canceled'],
      ],
      { optionSet: 'slakpiinstance_status' },
    ),
    col.dateTime('failuretime', 'Failure Time'),
    col.dateTime('warningtime', 'Warning Time'),
    col.dateTime('succeededon', 'Succeeded On'),
  ],
);

/**
 * template: UserOwned; `templatetypecode` names the table the template is for (incident, …);
 * `subject` and `body` hold the text with `{!table:column;default}` data fields.
 */
const template = defineTable(
  {
    logicalName: 'template',
    schemaName: 'Template',
    entitySetName: 'templates',
    displayName: 'Email Template',
    displayCollectionName: 'Email Templates',
    description: 'Template for an email message that contains the standard attributes of an email message.',
    objectTypeCode: 2010,
    privilegeName: 'Template',
    primaryNameAttribute: 'title',
  },
  [
    col.text('title', 'Title', 200, { required: 'SystemRequired' }),
    col.memo('description', 'Description', 2000),
    col.memo('subject', 'Subject', 2000),
    col.memo('body', 'Body', 1_048_576),
    col.entityName('templatetypecode', 'Template Type', { required: 'SystemRequired', createOnly: true }),
    col.bool('ispersonal', 'Viewable By', 'Individual', 'Organization'),
    col.int('languagecode', 'Language', 0, 2147483647),
  ],
);

export const SERVICE_DESK_TABLES: readonly TableDef[] = [queue, queueitem, slakpiinstance, template];

/** The case's SLA KPI lookups (incident reference: firstresponsebykpiid, resolvebykpiid). */
export const INCIDENT_SLA_COLUMNS = [
  col.lookup('firstresponsebykpiid', 'First Response By KPI', [{ table: 'slakpiinstance', nav: 'firstresponsebykpiid', relationship: 'slakpiinstance_incident_firstresponsebykpi' }]),
  col.lookup('resolvebykpiid', 'Resolve By KPI', [{ table: 'slakpiinstance', nav: 'resolvebykpiid', relationship: 'slakpiinstance_incident_resolvebykpi' }]),
];
