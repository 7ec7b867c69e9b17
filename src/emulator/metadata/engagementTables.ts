import { ACTIVE_INACTIVE, col, type ColumnSpec, defineTable } from './defineTable.js';
import type { LookupTarget, TableDef } from './types.js';

/**
 * What the Sales engagement tools need beyond the standard tables: meetings (appointment),
 * stakeholders (connection, connectionrole) and the Lead to Opportunity Sales Process business
 * process flow (processstage, leadtoopportunitysalesprocess). Logical names, entity sets, primary
 * names, ownership, choices and relationship schema names as the table references list them
 * (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/<table>:
 * appointment, connection, connectionrole, processstage, leadtoopportunitysalesprocess).
 */

const PRIORITY: ReadonlyArray<readonly [number, string]> = [
  [0, 'Low'],
  [1, 'Normal'],
  [2, 'High'],
];

/** Tables an appointment may be regarding, with their schema names (`Account_Appointments`, … in the appointment reference). */
const APPOINTMENT_REGARDING: ReadonlyArray<readonly [string, string]> = [
  ['account', 'Account'],
  ['contact', 'Contact'],
  ['lead', 'Lead'],
  ['opportunity', 'Opportunity'],
  ['incident', 'Incident'],
];

const appointment = defineTable(
  {
    logicalName: 'appointment',
    schemaName: 'Appointment',
    entitySetName: 'appointments',
    primaryIdAttribute: 'activityid',
    displayName: 'Appointment',
    displayCollectionName: 'Appointments',
    description: 'Commitment representing a time interval with start/end times and duration.',
    objectTypeCode: 4201,
    privilegeName: 'Activity',
    primaryNameAttribute: 'subject',
    isActivity: true,
    hasNotes: true,
    // StateCode / StatusCode of the appointment reference: Open (Free, Tentative), Completed,
    // Canceled, Scheduled (Busy, Out of Office).
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Completed', defaultStatus: 3 },
      { value: 2, label: 'Canceled', defaultStatus: 4 },
      { value: 3, label: 'Scheduled', defaultStatus: 5 },
    ],
    statuses: [
      { value: 1, label: 'Free', state: 0 },
      { value: 2, label: 'Tentative', state: 0 },
      { value: 3, label: 'Completed', state: 1 },
      { value: 4, label: 'Canceled', state: 2 },
      { value: 5, label: 'Busy', state: 3 },
      { value: 6, label: 'Out of Office', state: 3 },
    ],
  },
  [
    col.text('subject', 'Subject', 200),
    col.memo('description', 'Description', 2000),
    col.text('location', 'Location', 200),
    col.lookup(
      'regardingobjectid',
      'Regarding',
      APPOINTMENT_REGARDING.map(([table, schema]): LookupTarget => ({ table, nav: `regardingobjectid_${table}_appointment`, relationship: `${schema}_Appointments`, cascadeDelete: true })),
    ),
    col.choice('prioritycode', 'Priority', PRIORITY, { optionSet: 'appointment_prioritycode' }),
    col.dateTime('scheduledstart', 'Start Time'),
    col.dateTime('scheduledend', 'End Time'),
    col.int('scheduleddurationminutes', 'Duration', 0, 2147483647),
    col.bool('isalldayevent', 'All Day Event'),
    col.dateTime('actualend', 'Actual End'),
    col.text('activitytypecode', 'Activity Type', 100, { readOnly: true }),
  ],
);

/** connectionrole.category (connectionrole reference). */
export const CONNECTION_ROLE_CATEGORY: ReadonlyArray<readonly [number, string]> = [
  [1, 'Business'],
  [2, 'Family'],
  [3, 'Social'],
  [4, 'Sales'],
  [5, 'Other'],
  [1000, 'Stakeholder'],
  [1001, 'Sales Team'],
  [1002, 'Service'],
];

const connectionrole = defineTable(
  {
    logicalName: 'connectionrole',
    schemaName: 'ConnectionRole',
    entitySetName: 'connectionroles',
    displayName: 'Connection Role',
    displayCollectionName: 'Connection Roles',
    description: 'Role describing a relationship between a two records.',
    objectTypeCode: 3231,
    privilegeName: 'ConnectionRole',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
    ...ACTIVE_INACTIVE,
  },
  [
    col.text('name', 'Name', 100, { required: 'SystemRequired' }),
    col.choice('category', 'Connection Role Category', CONNECTION_ROLE_CATEGORY, { optionSet: 'connectionrole_category' }),
    col.memo('description', 'Description', 4000),
  ],
);

/** The records a connection may join (record1id / record2id targets), with their relationship schema names (`account_connections1`, …). */
const CONNECTED: ReadonlyArray<string> = ['account', 'contact', 'lead', 'opportunity', 'systemuser'];

const side = (n: 1 | 2): LookupTarget[] => CONNECTED.map((table) => ({ table, nav: `record${n}id_${table}`, relationship: `${table}_connections${n}`, cascadeDelete: true }));

const connection = defineTable(
  {
    logicalName: 'connection',
    schemaName: 'Connection',
    entitySetName: 'connections',
    displayName: 'Connection',
    displayCollectionName: 'Connections',
    description: 'Relationship between two entities.',
    objectTypeCode: 3234,
    privilegeName: 'Connection',
    primaryNameAttribute: 'name',
    ...ACTIVE_INACTIVE,
  },
  [
    col.text('name', 'Connection Name', 500, { readOnly: true }),
    col.lookup('record1id', 'Connected From', side(1), { required: 'ApplicationRequired' }),
    col.lookup('record1roleid', 'As', [{ table: 'connectionrole', nav: 'record1roleid', relationship: 'connection_role_connections1' }]),
    col.lookup('record2id', 'Connected To', side(2), { required: 'ApplicationRequired' }),
    col.lookup('record2roleid', 'As', [{ table: 'connectionrole', nav: 'record2roleid', relationship: 'connection_role_connections2' }]),
    col.memo('description', 'Description', 4000),
    col.dateTime('effectivestart', 'Starting', 'DateOnly'),
    col.dateTime('effectiveend', 'Ending', 'DateOnly'),
    col.bool('ismaster', 'Is Master', 'Yes', 'No', { readOnly: true }),
    col.lookup('relatedconnectionid', 'Related Connection', [{ table: 'connection', nav: 'relatedconnectionid', relationship: 'connection_related_connection' }], { readOnly: true }),
  ],
);

/**
 * The process definitions (workflow reference): here only business process flows (category 4),
 * which processstage and the flow instances point to with `processid`.
 */
const workflow = defineTable(
  {
    logicalName: 'workflow',
    schemaName: 'Workflow',
    entitySetName: 'workflows',
    displayName: 'Process',
    displayCollectionName: 'Processes',
    description: 'Set of logical rules that define the steps necessary to automate a specific business process, task, or set of actions to be performed.',
    objectTypeCode: 4703,
    privilegeName: 'Workflow',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
  },
  [
    col.text('name', 'Process Name', 100, { required: 'SystemRequired' }),
    col.text('uniquename', 'Unique Name', 256),
    col.choice('category', 'Category', [
      [0, 'Workflow'],
      [1, 'Dialog'],
      [2, 'Business Rule'],
      [3, 'Action'],
      [4, 'Business Process Flow'],
      [5, 'Modern Flow'],
    ]),
    col.text('primaryentity', 'Primary Entity', 100),
    col.memo('description', 'Description', 100000),
  ],
);

/** processstage.stagecategory (processstage reference). */
export const STAGE_CATEGORY: ReadonlyArray<readonly [number, string]> = [
  [0, 'Qualify'],
  [1, 'Develop'],
  [2, 'Propose'],
  [3, 'Close'],
  [4, 'Identify'],
  [5, 'Research'],
  [6, 'Resolve'],
  [7, 'Approval'],
];

const processstage = defineTable(
  {
    logicalName: 'processstage',
    schemaName: 'ProcessStage',
    entitySetName: 'processstages',
    displayName: 'Process Stage',
    displayCollectionName: 'Process Stages',
    description: 'Stage associated with a process.',
    objectTypeCode: 4724,
    privilegeName: 'ProcessStage',
    primaryNameAttribute: 'stagename',
    ownership: 'OrganizationOwned',
    audit: false,
  },
  [
    col.text('stagename', 'Name', 100),
    col.choice('stagecategory', 'Stage Category', STAGE_CATEGORY, { optionSet: 'processstage_category' }),
    col.text('primaryentitytypecode', 'Primary Entity', 100),
    col.lookup('processid', 'Process', [{ table: 'workflow', nav: 'processid', relationship: 'process_processstage', cascadeDelete: true }]),
    col.int('stageorder', 'Order', 0, 100),
    col.memo('clientdata', 'Client Data', 1048576),
  ],
);

/**
 * A business process flow's instance table: one row per record walking the flow ("Work with
 * business process flows using code", https://learn.microsoft.com/power-automate/developer/business-process-flows-code),
 * with the flow's own lookups to the tables its stages belong to. Both out-of-the-box sales flows
 * have this shape (leadtoopportunitysalesprocess, opportunitysalesprocess table references).
 */
function flowTable(spec: { logicalName: string; schemaName: string; entitySetName: string; displayName: string; objectTypeCode: number; activeStageRelationship: string; lookups: readonly ColumnSpec[] }): TableDef {
  return defineTable(
    {
      logicalName: spec.logicalName,
      schemaName: spec.schemaName,
      entitySetName: spec.entitySetName,
      primaryIdAttribute: 'businessprocessflowinstanceid',
      displayName: spec.displayName,
      displayCollectionName: spec.displayName,
      description: `Base entity for process ${spec.displayName}`,
      objectTypeCode: spec.objectTypeCode,
      privilegeName: spec.logicalName,
      primaryNameAttribute: 'name',
      ownership: 'OrganizationOwned',
      // statecode Active/Inactive; statuscode Active, Finished (inactive), Aborted (inactive).
      states: [
        { value: 0, label: 'Active', defaultStatus: 1 },
        { value: 1, label: 'Inactive', defaultStatus: 2 },
      ],
      statuses: [
        { value: 1, label: 'Active', state: 0 },
        { value: 2, label: 'Finished', state: 1 },
        { value: 3, label: 'Aborted', state: 1 },
      ],
    },
    [
      col.text('name', 'Name', 200, { required: 'SystemRequired' }),
      ...spec.lookups,
      col.lookup('activestageid', 'Active Stage', [{ table: 'processstage', nav: 'activestageid', relationship: spec.activeStageRelationship }]),
      col.dateTime('activestagestartedon', 'Active Stage Started On'),
      col.text('traversedpath', 'Traversed Path', 1250),
      col.lookup('processid', 'Process', [{ table: 'workflow', nav: 'processid', relationship: `lk_${spec.logicalName}_processid` }]),
      col.int('duration', 'Duration', 0, 2147483647),
      col.dateTime('completedon', 'Completed On'),
    ],
  );
}

const leadtoopportunitysalesprocess = flowTable({
  logicalName: 'leadtoopportunitysalesprocess',
  schemaName: 'LeadToOpportunitySalesProcess',
  entitySetName: 'leadtoopportunitysalesprocesses',
  displayName: 'Lead To Opportunity Sales Process',
  objectTypeCode: 954,
  activeStageRelationship: 'activestageid_processstage',
  lookups: [
    col.lookup('bpf_leadid', 'Lead', [{ table: 'lead', nav: 'bpf_leadid', relationship: 'bpf_lead_leadtoopportunitysalesprocess', cascadeDelete: true }]),
    col.lookup('bpf_opportunityid', 'Opportunity', [{ table: 'opportunity', nav: 'bpf_opportunityid', relationship: 'bpf_opportunity_leadtoopportunitysalesprocess' }]),
  ],
});

/** The flow of opportunities created without a lead (opportunitysalesprocess table reference). */
const opportunitysalesprocess = flowTable({
  logicalName: 'opportunitysalesprocess',
  schemaName: 'OpportunitySalesProcess',
  entitySetName: 'opportunitysalesprocesses',
  displayName: 'Opportunity Sales Process',
  objectTypeCode: 953,
  activeStageRelationship: 'lk_opportunitysalesprocess_activestageid',
  lookups: [col.lookup('bpf_opportunityid', 'Opportunity', [{ table: 'opportunity', nav: 'bpf_opportunityid', relationship: 'bpf_opportunity_opportunitysalesprocess', cascadeDelete: true }])],
});

export const ENGAGEMENT_TABLES: readonly TableDef[] = [appointment, connectionrole, connection, workflow, processstage, leadtoopportunitysalesprocess, opportunitysalesprocess];
