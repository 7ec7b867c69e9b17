import { ORGANIZATION_TABLES } from './organizationTables.js';
import { SDK_MESSAGE_TABLES } from './sdkMessageTables.js';
import { ACTIVE_INACTIVE, type ColumnSpec, col, defineTable } from './defineTable.js';
import { ACCOUNT_FILE_COLUMNS, CONTACT_IMAGE_COLUMNS } from './fileColumns.js';
import { ENGAGEMENT_TABLES } from './engagementTables.js';
import { withGermanLabels } from './localizedLabels.js';
import { OPPORTUNITY_PIPELINE_COLUMNS, SALES_PIPELINE_MANY_TO_MANY, SALES_PIPELINE_TABLES } from './salesTables.js';
import { INCIDENT_SLA_COLUMNS, SERVICE_DESK_TABLES } from './serviceTables.js';
import type { LookupTarget, ManyToManyDef, TableDef } from './types.js';

/**
 * The standard tables of the sample organisation, with Dataverse's logical names, entity sets,
 * navigation properties and choice values. Everything else (storage, validation, $select, $expand,
 * SQL, formatted values, the metadata API) reads these definitions.
 */

const INDUSTRY: ReadonlyArray<readonly [number, string]> = [
  [1, 'Accounting'],
  [2, 'Agriculture and Non-petrol Natural Resource Extraction'],
  [3, 'Broadcasting Printing and Publishing'],
  [4, 'Brokers'],
  [5, 'Building Supply Retail'],
  [6, 'Business Services'],
  [7, 'Consulting'],
  [8, 'Consumer Services'],
  [9, 'Design, Direction and Creative Management'],
  [10, 'Distributors, Dispatchers and Processors'],
  [11, "Doctor's Offices and Clinics"],
  [12, 'Durable Manufacturing'],
  [13, 'Eating and Drinking Places'],
  [14, 'Entertainment Retail'],
  [15, 'Equipment Rental and Leasing'],
  [16, 'Financial'],
  [17, 'Food and Tobacco Processing'],
  [18, 'Inbound Capital Intensive Processing'],
  [19, 'Inbound Repair and Services'],
  [20, 'Insurance'],
  [21, 'Legal Services'],
  [22, 'Non-Durable Merchandise Retail'],
  [23, 'Outbound Consumer Service'],
  [24, 'Petrochemical Extraction and Distribution'],
  [25, 'Service Retail'],
  [26, 'SIG Affiliations'],
  [27, 'Social Services'],
  [28, 'Special Outbound Trade Contractors'],
  [29, 'Specialty Realty'],
  [30, 'Transportation'],
  [31, 'Utility Creation and Distribution'],
  [32, 'Vehicle Retail'],
  [33, 'Wholesale'],
];

const LEAD_SOURCE: ReadonlyArray<readonly [number, string]> = [
  [1, 'Advertisement'],
  [2, 'Employee Referral'],
  [3, 'External Referral'],
  [4, 'Partner'],
  [5, 'Public Relations'],
  [6, 'Seminar'],
  [7, 'Trade Show'],
  [8, 'Web'],
  [9, 'Word of Mouth'],
  [10, 'Other'],
];

const RATING: ReadonlyArray<readonly [number, string]> = [
  [1, 'Hot'],
  [2, 'Warm'],
  [3, 'Cold'],
];

const PURCHASE_TIMEFRAME: ReadonlyArray<readonly [number, string]> = [
  [0, 'Immediate'],
  [1, 'This Quarter'],
  [2, 'Next Quarter'],
  [3, 'This Year'],
  [4, 'Unknown'],
];

const ACTIVITY_PRIORITY: ReadonlyArray<readonly [number, string]> = [
  [0, 'Low'],
  [1, 'Normal'],
  [2, 'High'],
];



const REGARDING_TABLES: ReadonlyArray<readonly [string, string]> = [
  ['account', 'Account'],
  ['contact', 'Contact'],
  ['lead', 'Lead'],
  ['opportunity', 'Opportunity'],
  ['incident', 'Incident'],
];

/** `regardingobjectid` targets: activity navigation properties carry the activity's name as a suffix. */
function regarding(activity: 'email' | 'task' | 'phonecall', relSuffix: string): LookupTarget[] {
  return REGARDING_TABLES.map(([table, schema]) => ({
    table,
    nav: `regardingobjectid_${table}_${activity}`,
    relationship: `${schema}_${relSuffix}`,
    cascadeDelete: true,
  }));
}

const account = defineTable(
  {
    logicalName: 'account',
    schemaName: 'Account',
    entitySetName: 'accounts',
    displayName: 'Account',
    displayCollectionName: 'Accounts',
    description: 'Business that represents a customer or potential customer.',
    objectTypeCode: 1,
    privilegeName: 'Account',
    primaryNameAttribute: 'name',
    hasNotes: true,
    hasActivities: true,
    ...ACTIVE_INACTIVE,
  },
  [
    col.text('name', 'Account Name', 160, { required: 'ApplicationRequired' }),
    col.text('accountnumber', 'Account Number', 20),
    col.phone('telephone1', 'Main Phone'),
    col.email('emailaddress1', 'Email'),
    col.bool('donotemail', 'Do not allow Emails', 'Do Not Allow', 'Allow'),
    col.url('websiteurl', 'Website'),
    col.text('address1_line1', 'Address 1: Street 1', 250),
    col.text('address1_city', 'Address 1: City', 80),
    col.text('address1_stateorprovince', 'Address 1: State/Province', 50),
    col.text('address1_postalcode', 'Address 1: ZIP/Postal Code', 20),
    col.text('address1_country', 'Address 1: Country/Region', 80),
    col.choice('industrycode', 'Industry', INDUSTRY),
    col.money('revenue', 'Annual Revenue'),
    col.int('numberofemployees', 'Number of Employees', 0, 1000000000),
    col.memo('description', 'Description', 2000),
    col.choice('customertypecode', 'Relationship Type', [
      [1, 'Competitor'],
      [2, 'Consultant'],
      [3, 'Customer'],
      [4, 'Investor'],
      [5, 'Partner'],
      [6, 'Influencer'],
      [7, 'Press'],
      [8, 'Prospect'],
      [9, 'Reseller'],
      [10, 'Supplier'],
      [11, 'Vendor'],
      [12, 'Other'],
    ]),
    col.choice('accountcategorycode', 'Category', [
      [1, 'Preferred Customer'],
      [2, 'Standard'],
    ]),
    col.lookup('primarycontactid', 'Primary Contact', [{ table: 'contact', nav: 'primarycontactid', relationship: 'account_primary_contact' }]),
    col.lookup('parentaccountid', 'Parent Account', [{ table: 'account', nav: 'parentaccountid', relationship: 'account_parent_account' }]),
    col.lookup('originatingleadid', 'Originating Lead', [{ table: 'lead', nav: 'originatingleadid', relationship: 'account_originating_lead' }]),
    ...ACCOUNT_FILE_COLUMNS,
  ],
);

const contact = defineTable(
  {
    logicalName: 'contact',
    schemaName: 'Contact',
    entitySetName: 'contacts',
    displayName: 'Contact',
    displayCollectionName: 'Contacts',
    description: 'Person with whom a business unit has a relationship, such as customer, supplier, and colleague.',
    objectTypeCode: 2,
    privilegeName: 'Contact',
    primaryNameAttribute: 'fullname',
    hasNotes: true,
    hasActivities: true,
    ...ACTIVE_INACTIVE,
  },
  [
    col.text('firstname', 'First Name', 50),
    col.text('lastname', 'Last Name', 50, { required: 'ApplicationRequired' }),
    col.text('fullname', 'Full Name', 160, { readOnly: true }),
    col.email('emailaddress1', 'Email'),
    col.bool('donotemail', 'Do not allow Emails', 'Do Not Allow', 'Allow'),
    col.phone('telephone1', 'Business Phone'),
    col.phone('mobilephone', 'Mobile Phone'),
    col.text('jobtitle', 'Job Title', 100),
    col.text('address1_city', 'Address 1: City', 80),
    col.text('address1_country', 'Address 1: Country/Region', 80),
    col.memo('description', 'Description', 2000),
    col.choice('preferredcontactmethodcode', 'Preferred Method of Contact', [
      [1, 'Any'],
      [2, 'Email'],
      [3, 'Phone'],
      [4, 'Fax'],
      [5, 'Mail'],
    ]),
    col.lookup(
      'parentcustomerid',
      'Company Name',
      [
        { table: 'account', nav: 'parentcustomerid_account', relationship: 'contact_customer_accounts', cascadeDelete: true },
        { table: 'contact', nav: 'parentcustomerid_contact', relationship: 'contact_customer_contacts', cascadeDelete: true },
      ],
      { type: 'Customer' },
    ),
    col.lookup('originatingleadid', 'Originating Lead', [{ table: 'lead', nav: 'originatingleadid', relationship: 'contact_originating_lead' }]),
    ...CONTACT_IMAGE_COLUMNS,
  ],
);

const lead = defineTable(
  {
    logicalName: 'lead',
    schemaName: 'Lead',
    entitySetName: 'leads',
    displayName: 'Lead',
    displayCollectionName: 'Leads',
    description: 'Prospect or potential sales opportunity. Leads are converted into accounts, contacts, or opportunities when they are qualified.',
    objectTypeCode: 4,
    privilegeName: 'Lead',
    primaryNameAttribute: 'fullname',
    hasNotes: true,
    hasActivities: true,
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Qualified', defaultStatus: 3 },
      { value: 2, label: 'Disqualified', defaultStatus: 4 },
    ],
    statuses: [
      { value: 1, label: 'New', state: 0 },
      { value: 2, label: 'Contacted', state: 0 },
      { value: 3, label: 'Qualified', state: 1 },
      { value: 4, label: 'Lost', state: 2 },
      { value: 5, label: 'Cannot Contact', state: 2 },
      { value: 6, label: 'No Longer Interested', state: 2 },
      { value: 7, label: 'Canceled', state: 2 },
    ],
  },
  [
    col.text('subject', 'Topic', 300, { required: 'ApplicationRequired' }),
    col.text('firstname', 'First Name', 50),
    col.text('lastname', 'Last Name', 50, { required: 'ApplicationRequired' }),
    col.text('fullname', 'Name', 160, { readOnly: true }),
    col.text('companyname', 'Company Name', 100),
    col.email('emailaddress1', 'Email'),
    col.phone('telephone1', 'Business Phone'),
    col.phone('mobilephone', 'Mobile Phone'),
    col.text('jobtitle', 'Job Title', 100),
    col.url('websiteurl', 'Website'),
    col.text('address1_city', 'Address 1: City', 80),
    col.text('address1_country', 'Address 1: Country/Region', 80),
    col.memo('description', 'Description', 2000),
    col.choice('leadsourcecode', 'Lead Source', LEAD_SOURCE),
    col.choice('leadqualitycode', 'Rating', RATING),
    col.choice('industrycode', 'Industry', INDUSTRY, { optionSet: 'lead_industrycode' }),
    col.choice('purchasetimeframe', 'Purchase Timeframe', PURCHASE_TIMEFRAME, { optionSet: 'purchasetimeframe' }),
    col.money('estimatedvalue', 'Est. Value'),
    // A secured column in the sample org: the "Sales deal figures" field security profile reads it.
    col.money('budgetamount', 'Budget Amount', { secured: true }),
    col.money('revenue', 'Annual Revenue'),
    col.int('numberofemployees', 'No. of Employees', 0, 1000000000),
    col.dateTime('estimatedclosedate', 'Est. Close Date', 'DateOnly'),
    col.bool('donotemail', 'Do not allow Emails', 'Do Not Allow', 'Allow'),
    col.bool('donotphone', 'Do not allow Phone Calls', 'Do Not Allow', 'Allow'),
    col.lookup('parentaccountid', 'Existing Account', [{ table: 'account', nav: 'parentaccountid', relationship: 'lead_parent_account' }]),
    col.lookup('parentcontactid', 'Existing Contact', [{ table: 'contact', nav: 'parentcontactid', relationship: 'lead_parent_contact' }]),
    col.lookup('qualifyingopportunityid', 'Qualifying Opportunity', [
      { table: 'opportunity', nav: 'qualifyingopportunityid', relationship: 'lead_qualifying_opportunity' },
    ]),
    // Navigation names keep the schema name's case: the attribute is msdyn_predictivescoreid, the
    // navigation property msdyn_PredictiveScoreId (lead table reference, relationship
    // msdyn_msdyn_predictivescore_lead; https://learn.microsoft.com/dynamics365/developer/reference/entities/lead).
    // Only orgs with the Predictive Scoring solution have it (see PREDICTIVE_SCORING below).
    col.lookup('msdyn_predictivescoreid', 'Predictive Score', [
      { table: 'msdyn_predictivescore', nav: 'msdyn_PredictiveScoreId', relationship: 'msdyn_msdyn_predictivescore_lead' },
    ]),
  ],
);

const opportunity = defineTable(
  {
    logicalName: 'opportunity',
    schemaName: 'Opportunity',
    entitySetName: 'opportunities',
    collectionSchemaName: 'Opportunities',
    displayName: 'Opportunity',
    displayCollectionName: 'Opportunities',
    description: 'Potential revenue-generating event, or sale to an account, which needs to be tracked through a sales process to completion.',
    objectTypeCode: 3,
    privilegeName: 'Opportunity',
    // As the principal EntityType lists it (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/principal).
    ownerRelationship: 'owner_opportunitys',
    primaryNameAttribute: 'name',
    hasNotes: true,
    hasActivities: true,
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Won', defaultStatus: 3 },
      { value: 2, label: 'Lost', defaultStatus: 4 },
    ],
    statuses: [
      { value: 1, label: 'In Progress', state: 0 },
      { value: 2, label: 'On Hold', state: 0 },
      { value: 3, label: 'Won', state: 1 },
      { value: 4, label: 'Canceled', state: 2 },
      { value: 5, label: 'Out-Sold', state: 2 },
    ],
  },
  [
    col.text('name', 'Topic', 300, { required: 'ApplicationRequired' }),
    col.memo('description', 'Description', 2000),
    col.money('estimatedvalue', 'Est. Revenue'),
    col.money('actualvalue', 'Actual Revenue'),
    col.money('budgetamount', 'Budget Amount'),
    col.dateTime('estimatedclosedate', 'Est. Close Date', 'DateOnly'),
    col.dateTime('actualclosedate', 'Actual Close Date', 'DateOnly'),
    col.int('closeprobability', 'Probability', 0, 100),
    col.choice('opportunityratingcode', 'Rating', RATING, { optionSet: 'opportunity_opportunityratingcode' }),
    col.choice('salesstagecode', 'Process Code', [
      [0, 'Qualify'],
      [1, 'Develop'],
      [2, 'Propose'],
      [3, 'Close'],
    ]),
    col.choice('purchasetimeframe', 'Purchase Timeframe', PURCHASE_TIMEFRAME, { optionSet: 'purchasetimeframe' }),
    col.text('stepname', 'Pipeline Phase', 200),
    col.lookup(
      'customerid',
      'Potential Customer',
      [
        { table: 'account', nav: 'customerid_account', relationship: 'opportunity_customer_accounts', cascadeDelete: true },
        { table: 'contact', nav: 'customerid_contact', relationship: 'opportunity_customer_contacts', cascadeDelete: true },
      ],
      { type: 'Customer' },
    ),
    col.lookup('parentaccountid', 'Account', [{ table: 'account', nav: 'parentaccountid', relationship: 'opportunity_parent_account' }]),
    col.lookup('parentcontactid', 'Contact', [{ table: 'contact', nav: 'parentcontactid', relationship: 'opportunity_parent_contact' }]),
    col.lookup('originatingleadid', 'Originating Lead', [{ table: 'lead', nav: 'originatingleadid', relationship: 'opportunity_originating_lead' }]),
    ...OPPORTUNITY_PIPELINE_COLUMNS,
  ],
);

const incident = defineTable(
  {
    logicalName: 'incident',
    schemaName: 'Incident',
    entitySetName: 'incidents',
    displayName: 'Case',
    displayCollectionName: 'Cases',
    description: 'Service request case associated with a contract.',
    objectTypeCode: 112,
    privilegeName: 'Incident',
    primaryNameAttribute: 'title',
    hasNotes: true,
    hasActivities: true,
    states: [
      { value: 0, label: 'Active', defaultStatus: 1 },
      { value: 1, label: 'Resolved', defaultStatus: 5 },
      { value: 2, label: 'Cancelled', defaultStatus: 6 },
    ],
    statuses: [
      { value: 1, label: 'In Progress', state: 0 },
      { value: 2, label: 'On Hold', state: 0 },
      { value: 3, label: 'Waiting for Details', state: 0 },
      { value: 4, label: 'Researching', state: 0 },
      { value: 5, label: 'Problem Solved', state: 1 },
      { value: 1000, label: 'Information Provided', state: 1 },
      { value: 6, label: 'Cancelled', state: 2 },
      { value: 2000, label: 'Merged', state: 2 },
    ],
  },
  [
    col.text('title', 'Case Title', 200, { required: 'SystemRequired' }),
    col.text('ticketnumber', 'Case Number', 100, { readOnly: true }),
    col.memo('description', 'Description', 2000),
    col.lookup(
      'customerid',
      'Customer',
      [
        { table: 'account', nav: 'customerid_account', relationship: 'incident_customer_accounts', cascadeDelete: true },
        { table: 'contact', nav: 'customerid_contact', relationship: 'incident_customer_contacts', cascadeDelete: true },
      ],
      { type: 'Customer', required: 'SystemRequired' },
    ),
    col.lookup('primarycontactid', 'Contact', [{ table: 'contact', nav: 'primarycontactid', relationship: 'contact_as_primary_contact' }]),
    col.choice('prioritycode', 'Priority', [
      [1, 'High'],
      [2, 'Normal'],
      [3, 'Low'],
    ]),
    col.choice('caseorigincode', 'Origin', [
      [1, 'Phone'],
      [2, 'Email'],
      [3, 'Web'],
      [2483, 'Facebook'],
      [3986, 'Twitter'],
      [700610000, 'IoT'],
    ]),
    col.choice('casetypecode', 'Case Type', [
      [1, 'Question'],
      [2, 'Problem'],
      [3, 'Request'],
    ]),
    col.text('productserialnumber', 'Serial Number', 100),
    col.bool('isescalated', 'Is Escalated'),
    col.dateTime('followupby', 'Follow Up By'),
    ...INCIDENT_SLA_COLUMNS,
  ],
);

const annotation = defineTable(
  {
    logicalName: 'annotation',
    schemaName: 'Annotation',
    entitySetName: 'annotations',
    displayName: 'Note',
    displayCollectionName: 'Notes',
    description: 'Note that is attached to one or more objects, including other notes.',
    objectTypeCode: 5,
    privilegeName: 'Note',
    primaryNameAttribute: 'subject',
  },
  [
    col.text('subject', 'Title', 500),
    col.memo('notetext', 'Description', 100000),
    col.lookup('objectid', 'Regarding', [
      { table: 'account', nav: 'objectid_account', relationship: 'Account_Annotation', cascadeDelete: true },
      { table: 'contact', nav: 'objectid_contact', relationship: 'Contact_Annotation', cascadeDelete: true },
      { table: 'lead', nav: 'objectid_lead', relationship: 'Lead_Annotation', cascadeDelete: true },
      { table: 'opportunity', nav: 'objectid_opportunity', relationship: 'Opportunity_Annotation', cascadeDelete: true },
      { table: 'incident', nav: 'objectid_incident', relationship: 'Incident_Annotation', cascadeDelete: true },
      { table: 'knowledgearticle', nav: 'objectid_knowledgearticle', relationship: 'knowledgearticle_Annotations', cascadeDelete: true },
    ]),
    col.entityName('objecttypecode', 'Object Type ', { readOnly: true }),
    col.bool('isdocument', 'Is Document'),
    col.text('filename', 'File Name', 255),
    col.text('mimetype', 'Mime Type', 256),
    // The attachment, Base64-encoded, and its size, which the service computes (annotation entity
    // reference, https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/annotation).
    col.memo('documentbody', 'Document', 1073741823),
    col.int('filesize', 'File Size (Bytes)', 0, 2147483647, { readOnly: true }),
  ],
);

const ACTIVITY_COMMON = (activity: 'email' | 'task' | 'phonecall', relSuffix: string) => [
  col.text('subject', 'Subject', activity === 'email' ? 400 : 200),
  col.memo('description', 'Description', activity === 'email' ? 1048576 : 2000),
  col.lookup('regardingobjectid', 'Regarding', regarding(activity, relSuffix)),
  col.choice('prioritycode', 'Priority', ACTIVITY_PRIORITY, { optionSet: `${activity}_prioritycode` }),
  col.dateTime('scheduledend', 'Due'),
  col.dateTime('actualend', 'Actual End'),
  col.text('activitytypecode', 'Activity Type', 100, { readOnly: true }),
];

const email = defineTable(
  {
    logicalName: 'email',
    schemaName: 'Email',
    entitySetName: 'emails',
    primaryIdAttribute: 'activityid',
    displayName: 'Email',
    displayCollectionName: 'Email Messages',
    description: 'Activity that is delivered using email protocols.',
    objectTypeCode: 4202,
    privilegeName: 'Activity',
    primaryNameAttribute: 'subject',
    isActivity: true,
    hasNotes: true,
    // StateCode and StatusCode choices of the email table reference
    // (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/email):
    // Completed defaults to 2 Completed; 6 Pending Send waits for server-side sync to send it.
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Completed', defaultStatus: 2 },
      { value: 2, label: 'Canceled', defaultStatus: 5 },
    ],
    statuses: [
      { value: 1, label: 'Draft', state: 0 },
      { value: 2, label: 'Completed', state: 1 },
      { value: 3, label: 'Sent', state: 1 },
      { value: 4, label: 'Received', state: 1 },
      { value: 5, label: 'Canceled', state: 2 },
      { value: 6, label: 'Pending Send', state: 1 },
      { value: 7, label: 'Sending', state: 1 },
      { value: 8, label: 'Failed', state: 0 },
    ],
  },
  [
    ...ACTIVITY_COMMON('email', 'Emails'),
    col.bool('directioncode', 'Direction', 'Outgoing', 'Incoming'),
    col.dateTime('senton', 'Date Sent', 'DateAndTime', { readOnly: true }),
    col.text('sender', 'From', 250, { readOnly: true }),
    col.text('torecipients', 'To Recipients', 500, { readOnly: true }),
  ],
);

const task = defineTable(
  {
    logicalName: 'task',
    schemaName: 'Task',
    entitySetName: 'tasks',
    primaryIdAttribute: 'activityid',
    displayName: 'Task',
    displayCollectionName: 'Tasks',
    description: 'Generic activity representing work needed to be done.',
    objectTypeCode: 4212,
    privilegeName: 'Activity',
    primaryNameAttribute: 'subject',
    isActivity: true,
    hasNotes: true,
    states: [
      { value: 0, label: 'Open', defaultStatus: 2 },
      { value: 1, label: 'Completed', defaultStatus: 5 },
      { value: 2, label: 'Canceled', defaultStatus: 6 },
    ],
    statuses: [
      { value: 2, label: 'Not Started', state: 0 },
      { value: 3, label: 'In Progress', state: 0 },
      { value: 4, label: 'Waiting on someone else', state: 0 },
      { value: 7, label: 'Deferred', state: 0 },
      { value: 5, label: 'Completed', state: 1 },
      { value: 6, label: 'Canceled', state: 2 },
    ],
  },
  [...ACTIVITY_COMMON('task', 'Tasks'), col.int('percentcomplete', 'Percent Complete', 0, 100)],
);

const phonecall = defineTable(
  {
    logicalName: 'phonecall',
    schemaName: 'PhoneCall',
    entitySetName: 'phonecalls',
    primaryIdAttribute: 'activityid',
    displayName: 'Phone Call',
    displayCollectionName: 'Phone Calls',
    description: 'Activity to track a telephone call.',
    objectTypeCode: 4210,
    privilegeName: 'Activity',
    primaryNameAttribute: 'subject',
    isActivity: true,
    hasNotes: true,
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Completed', defaultStatus: 2 },
      { value: 2, label: 'Canceled', defaultStatus: 3 },
    ],
    statuses: [
      { value: 1, label: 'Open', state: 0 },
      { value: 2, label: 'Made', state: 1 },
      { value: 4, label: 'Received', state: 1 },
      { value: 3, label: 'Canceled', state: 2 },
    ],
  },
  [
    ...ACTIVITY_COMMON('phonecall', 'Phonecalls'),
    col.phone('phonenumber', 'Phone Number'),
    col.bool('directioncode', 'Direction', 'Outgoing', 'Incoming'),
    col.int('actualdurationminutes', 'Duration', 0, 2147483647),
  ],
);

const incidentresolution = defineTable(
  {
    logicalName: 'incidentresolution',
    schemaName: 'IncidentResolution',
    entitySetName: 'incidentresolutions',
    primaryIdAttribute: 'activityid',
    displayName: 'Case Resolution',
    displayCollectionName: 'Case Resolutions',
    description: 'Special type of activity that includes description of the resolution, billing status, and the duration of the case.',
    objectTypeCode: 4206,
    privilegeName: 'Activity',
    primaryNameAttribute: 'subject',
    isActivity: true,
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Completed', defaultStatus: 2 },
      { value: 2, label: 'Canceled', defaultStatus: 3 },
    ],
    statuses: [
      { value: 1, label: 'Open', state: 0 },
      { value: 2, label: 'Closed', state: 1 },
      { value: 3, label: 'Canceled', state: 2 },
    ],
  },
  [
    col.text('subject', 'Resolution', 200),
    col.memo('description', 'Description', 2000),
    col.lookup(
      'incidentid',
      'Case',
      [{ table: 'incident', nav: 'incidentid', relationship: 'Incident_IncidentResolutions', cascadeDelete: true }],
      { required: 'SystemRequired', createOnly: true },
    ),
    col.int('timespent', 'Total Time', 0, 2147483647),
    col.dateTime('actualend', 'Actual End'),
    col.text('activitytypecode', 'Activity Type', 100, { readOnly: true }),
  ],
);

const activityparty = defineTable(
  {
    logicalName: 'activityparty',
    schemaName: 'ActivityParty',
    entitySetName: 'activityparties',
    collectionSchemaName: 'ActivityParties',
    displayName: 'Activity Party',
    displayCollectionName: 'Activity Parties',
    description: 'Person or group associated with an activity. An activity can have multiple activity parties.',
    objectTypeCode: 135,
    privilegeName: 'Activity',
    primaryNameAttribute: 'addressused',
    ownership: 'None',
    audit: false,
  },
  [
    col.lookup(
      'activityid',
      'Activity',
      [
        { table: 'email', nav: 'activityid_email', relationship: 'email_activity_parties', cascadeDelete: true },
        { table: 'task', nav: 'activityid_task', relationship: 'task_activity_parties', cascadeDelete: true },
        { table: 'phonecall', nav: 'activityid_phonecall', relationship: 'phonecall_activity_parties', cascadeDelete: true },
        { table: 'appointment', nav: 'activityid_appointment', relationship: 'appointment_activity_parties', cascadeDelete: true },
      ],
      { createOnly: true },
    ),
    col.lookup('partyid', 'Party', [
      { table: 'account', nav: 'partyid_account', relationship: 'account_activity_parties' },
      { table: 'contact', nav: 'partyid_contact', relationship: 'contact_activity_parties' },
      { table: 'lead', nav: 'partyid_lead', relationship: 'lead_activity_parties' },
      { table: 'systemuser', nav: 'partyid_systemuser', relationship: 'system_user_activity_parties' },
    ]),
    col.choice('participationtypemask', 'Participation Type', [
      [1, 'Sender'],
      [2, 'To Recipient'],
      [3, 'CC Recipient'],
      [4, 'BCC Recipient'],
      [5, 'Required attendee'],
      [6, 'Optional attendee'],
      [7, 'Organizer'],
      [8, 'Regarding'],
      [9, 'Owner'],
      [10, 'Resource'],
      [11, 'Customer'],
    ]),
    col.text('addressused', 'Address', 320),
  ],
);

const activitypointer = defineTable(
  {
    logicalName: 'activitypointer',
    schemaName: 'ActivityPointer',
    entitySetName: 'activitypointers',
    primaryIdAttribute: 'activityid',
    displayName: 'Activity',
    displayCollectionName: 'Activities',
    description: 'Task performed, or to be performed, by a user. (Emails, phone calls and tasks; read-only here.)',
    objectTypeCode: 4200,
    privilegeName: 'Activity',
    primaryNameAttribute: 'subject',
    isActivity: false,
    readOnly: true,
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Completed', defaultStatus: 2 },
      { value: 2, label: 'Canceled', defaultStatus: 3 },
      { value: 3, label: 'Scheduled', defaultStatus: 4 },
    ],
    statuses: [
      { value: 1, label: 'Open', state: 0 },
      { value: 2, label: 'Completed', state: 1 },
      { value: 3, label: 'Canceled', state: 2 },
      { value: 4, label: 'Scheduled', state: 3 },
    ],
  },
  [
    col.text('subject', 'Subject', 400),
    col.memo('description', 'Description', 1048576),
    col.text('activitytypecode', 'Activity Type', 100, { readOnly: true }),
    col.lookup(
      'regardingobjectid',
      'Regarding',
      REGARDING_TABLES.map(([table, schema]) => ({ table, nav: `regardingobjectid_${table}`, relationship: `${schema}_ActivityPointers` })),
    ),
    col.choice('prioritycode', 'Priority', ACTIVITY_PRIORITY, { optionSet: 'activitypointer_prioritycode' }),
    col.dateTime('scheduledend', 'Due Date'),
    col.dateTime('actualend', 'Actual End'),
  ],
);

const knowledgearticle = defineTable(
  {
    logicalName: 'knowledgearticle',
    schemaName: 'KnowledgeArticle',
    entitySetName: 'knowledgearticles',
    displayName: 'Knowledge Article',
    displayCollectionName: 'Knowledge Articles',
    description: 'Organizational knowledge for internal and external use.',
    objectTypeCode: 9953,
    privilegeName: 'KnowledgeArticle',
    ownerRelationship: 'owner_knowledgearticle',
    primaryNameAttribute: 'title',
    hasNotes: true,
    states: [
      { value: 0, label: 'Draft', defaultStatus: 2 },
      { value: 1, label: 'Approved', defaultStatus: 5 },
      { value: 2, label: 'Scheduled', defaultStatus: 6 },
      { value: 3, label: 'Published', defaultStatus: 7 },
      { value: 4, label: 'Expired', defaultStatus: 10 },
      { value: 5, label: 'Archived', defaultStatus: 12 },
      { value: 6, label: 'Discarded', defaultStatus: 13 },
    ],
    statuses: [
      { value: 1, label: 'Proposed', state: 0 },
      { value: 2, label: 'Draft', state: 0 },
      { value: 3, label: 'Needs Review', state: 0 },
      { value: 4, label: 'In Review', state: 0 },
      { value: 5, label: 'Approved', state: 1 },
      { value: 6, label: 'Scheduled', state: 2 },
      { value: 7, label: 'Published', state: 3 },
      { value: 8, label: 'Needs Review', state: 3 },
      { value: 9, label: 'Updating', state: 3 },
      { value: 10, label: 'Expired', state: 4 },
      { value: 12, label: 'Archived', state: 5 },
      { value: 13, label: 'Discarded', state: 6 },
    ],
  },
  [
    col.text('title', 'Title', 500, { required: 'SystemRequired' }),
    col.memo('content', 'Content', 1073741823),
    col.text('description', 'Short Description', 155),
    col.memo('keywords', 'Keywords', 1000),
    col.text('articlepublicnumber', 'Article Public Number', 50, { readOnly: true }),
    col.bool('isinternal', 'Internal'),
    col.int('majorversionnumber', 'Major Version Number', 0, 2147483647, { readOnly: true }),
    col.int('minorversionnumber', 'Minor Version Number', 0, 2147483647, { readOnly: true }),
    col.dateTime('publishon', 'Publish On'),
    col.int('knowledgearticleviews', 'Knowledge Article Views', 0, 2147483647, { readOnly: true }),
  ],
);

const systemuser = defineTable(
  {
    logicalName: 'systemuser',
    schemaName: 'SystemUser',
    entitySetName: 'systemusers',
    displayName: 'User',
    displayCollectionName: 'Users',
    description: 'Person with access to the Microsoft CRM system and who owns objects in the Microsoft CRM database.',
    objectTypeCode: 8,
    privilegeName: 'User',
    primaryNameAttribute: 'fullname',
    ownership: 'OrganizationOwned',
  },
  [
    col.text('firstname', 'First Name', 64),
    col.text('lastname', 'Last Name', 64),
    col.text('fullname', 'Full Name', 200, { readOnly: true }),
    col.text('internalemailaddress', 'Primary Email', 100, { format: 'Email' }),
    col.text('domainname', 'User Name', 1024),
    col.text('title', 'Title', 128),
    col.guid('azureactivedirectoryobjectid', 'Azure AD Object ID'),
    col.bool('isdisabled', 'Status', 'Disabled', 'Enabled', { readOnly: true }),
    col.lookup('businessunitid', 'Business Unit', [{ table: 'businessunit', nav: 'businessunitid', relationship: 'business_unit_system_users' }]),
  ],
);

const businessunit = defineTable(
  {
    logicalName: 'businessunit',
    schemaName: 'BusinessUnit',
    entitySetName: 'businessunits',
    displayName: 'Business Unit',
    displayCollectionName: 'Business Units',
    description: 'Business, division, or department in the Microsoft Dynamics 365 database.',
    objectTypeCode: 10,
    privilegeName: 'BusinessUnit',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
  },
  [col.text('name', 'Name', 160, { required: 'SystemRequired' })],
);

/**
 * Teams own records like users do (team table reference,
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/team:
 * EntitySetName teams, PrimaryIdAttribute teamid, OwnershipType BusinessOwned).
 */
const team = defineTable(
  {
    logicalName: 'team',
    schemaName: 'Team',
    entitySetName: 'teams',
    displayName: 'Team',
    displayCollectionName: 'Teams',
    description: 'Collection of system users that routinely collaborate. Teams can be used to simplify record sharing and provide team members with common access to organization data when team members belong to different Business Units.',
    objectTypeCode: 9,
    privilegeName: 'Team',
    primaryNameAttribute: 'name',
    ownership: 'BusinessOwned',
  },
  [
    col.text('name', 'Team Name', 160, { required: 'SystemRequired' }),
    col.memo('description', 'Description', 2000),
    col.lookup('businessunitid', 'Business Unit', [{ table: 'businessunit', nav: 'businessunitid', relationship: 'business_unit_teams' }], { required: 'SystemRequired' }),
    col.choice('teamtype', 'Team Type', [
      [0, 'Owner'],
      [1, 'Access'],
      [2, 'Security Group'],
      [3, 'Office Group'],
    ]),
  ],
);

/**
 * The caller's preferences; `uilanguageid` decides the language of formatted values and of
 * `UserLocalizedLabel` (usersettings table reference,
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/usersettings:
 * EntitySetName usersettingscollection, PrimaryIdAttribute systemuserid, no primary name).
 */
const usersettings = defineTable(
  {
    logicalName: 'usersettings',
    schemaName: 'UserSettings',
    entitySetName: 'usersettingscollection',
    collectionSchemaName: 'UserSettingses',
    primaryIdAttribute: 'systemuserid',
    displayName: 'User Settings',
    displayCollectionName: 'User Settings',
    description: "User's preferred settings.",
    objectTypeCode: 150,
    privilegeName: 'UserSettings',
    primaryNameAttribute: '',
    ownership: 'BusinessOwned',
    sharesKeyOf: 'systemuser',
  },
  [
    col.int('uilanguageid', 'UI Language', 0, 2147483647),
    col.int('localeid', 'Locale', 0, 2147483647),
    col.int('timezonecode', 'Time Zone', -1, 2147483647),
  ],
);

const role = defineTable(
  {
    logicalName: 'role',
    schemaName: 'Role',
    entitySetName: 'roles',
    displayName: 'Security Role',
    displayCollectionName: 'Security Roles',
    description: 'Grouping of security privileges. Users are assigned roles that authorize their access to the Microsoft CRM system.',
    objectTypeCode: 1036,
    privilegeName: 'Role',
    primaryNameAttribute: 'name',
    ownership: 'OrganizationOwned',
  },
  [
    col.text('name', 'Name', 100, { required: 'SystemRequired' }),
    col.lookup('businessunitid', 'Business Unit', [{ table: 'businessunit', nav: 'businessunitid', relationship: 'business_unit_roles' }]),
  ],
);

const predictivescore = defineTable(
  {
    logicalName: 'msdyn_predictivescore',
    schemaName: 'msdyn_predictivescore',
    entitySetName: 'msdyn_predictivescores',
    displayName: 'Predictive score',
    displayCollectionName: 'Predictive scores',
    description: 'Scores produced by predictive lead and opportunity scoring models.',
    objectTypeCode: 10442,
    privilegeName: 'msdyn_predictivescore',
    primaryNameAttribute: 'msdyn_name',
    isCustom: true,
    ...ACTIVE_INACTIVE,
  },
  [
    col.text('msdyn_name', 'Name', 100),
    col.int('msdyn_score', 'Score', 0, 100),
    col.choice('msdyn_grade', 'Grade', [
      [0, 'Grade A'],
      [1, 'Grade B'],
      [2, 'Grade C'],
      [3, 'Grade D'],
    ]),
    col.choice('msdyn_scoretrend', 'Score trend', [
      [0, 'Improving'],
      [1, 'Steady'],
      [2, 'Declining'],
      [3, 'Not enough info'],
    ]),
    col.memo('msdyn_scorereasons', 'Score reasons', 100000),
    col.dateTime('msdyn_scoredon', 'Scored on'),
    col.text('msdyn_entityid', 'Entity ID', 100),
    col.text('msdyn_entitytype', 'Entity type', 100),
  ],
);

/**
 * Custom API definitions, in every org (custom-api-tables,
 * https://learn.microsoft.com/power-apps/developer/data-platform/custom-api-tables): the APIs a
 * solution adds are rows here, with their request parameters and response properties under the
 * `CustomAPIRequestParameters` and `CustomAPIResponseProperties` relationships.
 */
const CUSTOM_API_TYPES: ReadonlyArray<readonly [number, string]> = [
  [0, 'Boolean'],
  [1, 'DateTime'],
  [2, 'Decimal'],
  [3, 'Entity'],
  [4, 'EntityCollection'],
  [5, 'EntityReference'],
  [6, 'Float'],
  [7, 'Integer'],
  [8, 'Money'],
  [9, 'Picklist'],
  [10, 'String'],
  [11, 'StringArray'],
  [12, 'Guid'],
];

const customapi = defineTable(
  {
    logicalName: 'customapi',
    schemaName: 'CustomAPI',
    entitySetName: 'customapis',
    displayName: 'Custom API',
    displayCollectionName: 'Custom APIs',
    description: 'Entity that defines a custom API',
    objectTypeCode: 10036,
    privilegeName: 'CustomAPI',
    primaryNameAttribute: 'name',
  },
  [
    col.text('name', 'Name', 100, { required: 'SystemRequired' }),
    col.text('uniquename', 'Unique Name', 128, { required: 'SystemRequired', createOnly: true }),
    col.text('displayname', 'Display Name', 100),
    col.text('description', 'Description', 300),
    col.choice('bindingtype', 'Binding Type', [
      [0, 'Global'],
      [1, 'Entity'],
      [2, 'EntityCollection'],
    ]),
    col.text('boundentitylogicalname', 'Bound Entity Logical Name', 100),
    col.bool('isfunction', 'Is Function'),
    col.bool('isprivate', 'Is Private'),
    col.text('executeprivilegename', 'Execute Privilege Name', 100),
    col.choice('allowedcustomprocessingsteptype', 'Allowed Custom Processing Step Type', [
      [0, 'None'],
      [1, 'Async Only'],
      [2, 'Sync and Async'],
    ]),
  ],
);

function customApiPart(logicalName: string, schemaName: string, entitySetName: string, displayName: string, objectTypeCode: number, relationship: string, extra: ColumnSpec[]): TableDef {
  return defineTable(
    { logicalName, schemaName, entitySetName, displayName, displayCollectionName: `${displayName}s`, description: `${displayName} of a custom API`, objectTypeCode, privilegeName: schemaName, primaryNameAttribute: 'name' },
    [
      col.text('name', 'Name', 100, { required: 'SystemRequired' }),
      col.text('uniquename', 'Unique Name', 128, { required: 'SystemRequired', createOnly: true }),
      col.text('displayname', 'Display Name', 100),
      col.text('description', 'Description', 300),
      col.choice('type', 'Type', CUSTOM_API_TYPES),
      col.text('logicalentityname', 'Logical Entity Name', 100),
      ...extra,
      col.lookup('customapiid', 'Custom API', [{ table: 'customapi', nav: 'CustomAPIId', relationship, cascadeDelete: true }], { required: 'SystemRequired' }),
    ],
  );
}

const customapirequestparameter = customApiPart('customapirequestparameter', 'CustomAPIRequestParameter', 'customapirequestparameters', 'Custom API Request Parameter', 10037, 'CustomAPIRequestParameters', [
  col.bool('isoptional', 'Is Optional'),
]);
const customapiresponseproperty = customApiPart('customapiresponseproperty', 'CustomAPIResponseProperty', 'customapiresponseproperties', 'Custom API Response Property', 10038, 'CustomAPIResponseProperties', []);

export const STANDARD_TABLES: readonly TableDef[] = [
  account,
  contact,
  lead,
  opportunity,
  incident,
  annotation,
  email,
  task,
  phonecall,
  incidentresolution,
  activityparty,
  activitypointer,
  knowledgearticle,
  systemuser,
  businessunit,
  role,
  predictivescore,
  team,
  usersettings,
  customapi,
  customapirequestparameter,
  customapiresponseproperty,
  ...SALES_PIPELINE_TABLES,
  ...ENGAGEMENT_TABLES,
  ...SERVICE_DESK_TABLES,
  ...SDK_MESSAGE_TABLES,
  ...ORGANIZATION_TABLES,
].map(withGermanLabels);

/** What the Predictive Scoring solution adds to an org: its table, and the lead's lookup to it. */
export const PREDICTIVE_SCORING = { table: 'msdyn_predictivescore', leadAttribute: 'msdyn_predictivescoreid' } as const;

/** Optional solutions an emulated org has installed. Most real orgs lack Predictive Scoring. */
export interface OrgProfile {
  predictiveScoring: boolean;
  /** Copilot in Dynamics 365 Sales: its custom APIs (msdyn_SalesRecordSummary). Absent = installed. */
  copilot?: boolean;
}

export const DEFAULT_PROFILE: OrgProfile = { predictiveScoring: true, copilot: true };

/** The standard tables of an org with this profile (an absent solution leaves no table or column behind). */
export function tablesFor(profile: OrgProfile): TableDef[] {
  if (profile.predictiveScoring) return [...STANDARD_TABLES];
  return STANDARD_TABLES.filter((t) => t.logicalName !== PREDICTIVE_SCORING.table).map((t) =>
    t.logicalName === 'lead' ? { ...t, attributes: t.attributes.filter((a) => a.logicalName !== PREDICTIVE_SCORING.leadAttribute) } : t,
  );
}

export const STANDARD_MANY_TO_MANY: readonly ManyToManyDef[] = [
  {
    name: 'systemuserroles_association',
    entity1: 'systemuser',
    entity2: 'role',
    intersect: 'systemuserroles',
    entity1Column: 'systemuserid',
    entity2Column: 'roleid',
  },
  ...SALES_PIPELINE_MANY_TO_MANY,
];

/** Tables kept together in SQLite as a view over the concrete activities. */
export const ACTIVITY_POINTER_SOURCES = ['email', 'task', 'phonecall', 'appointment'] as const;
