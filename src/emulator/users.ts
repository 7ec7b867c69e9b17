/**
 * The people of the sample organisation who can sign in locally. The local identity provider mints
 * tokens for them by alias; the emulator seeds them as system users (matched by
 * `azureactivedirectoryobjectid`). GUIDs are fixed so tokens, seeds and tests agree across runs.
 */
export const LOCAL_TENANT_ID = '3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';

export interface LocalUser {
  alias: string;
  /** Entra object id (`oid` claim). */
  objectId: string;
  /** Dataverse `systemuserid`. */
  systemUserId: string;
  fullName: string;
  /** Also the user principal name (`upn` / `preferred_username`). */
  email: string;
  title: string;
  /** Security role names, defined by the emulator. */
  roles: readonly string[];
  /** `usersettings.uilanguageid` (LCID); default 1033 English. */
  uiLanguageId?: number;
  /**
   * False for users added after the sample data was fixed: they own no seeded records, so adding
   * them leaves the PRNG sequence, and with it every seeded row, unchanged.
   */
  ownsSeedRecords?: boolean;
}

export const LOCAL_USERS: readonly LocalUser[] = [
  {
    alias: 'alice',
    objectId: 'a11ce000-0000-4000-8000-000000000001',
    systemUserId: '5a1e5000-0000-4000-8000-000000000001',
    fullName: 'Alice Anders',
    email: 'alice@contoso.example',
    title: 'Sales Manager',
    roles: ['Sales Manager'],
  },
  {
    alias: 'bob',
    objectId: 'b0b00000-0000-4000-8000-000000000002',
    systemUserId: '5e2b1ce0-0000-4000-8000-000000000002',
    fullName: 'Bob Brennan',
    email: 'bob@contoso.example',
    title: 'Customer Service Representative',
    roles: ['Customer Service Representative'],
  },
  {
    alias: 'rita',
    objectId: '417a0000-0000-4000-8000-000000000003',
    systemUserId: 'ead00000-0000-4000-8000-000000000003',
    fullName: 'Rita Reyes',
    email: 'rita@contoso.example',
    title: 'Business Analyst',
    roles: ['Read Only'],
  },
  {
    alias: 'dana',
    objectId: 'da4a0000-0000-4000-8000-000000000004',
    systemUserId: 'ad000000-0000-4000-8000-000000000004',
    fullName: 'Dana Dwyer',
    email: 'dana@contoso.example',
    title: 'Dynamics Administrator',
    roles: ['System Administrator'],
  },
  {
    alias: 'sam',
    objectId: '5a300000-0000-4000-8000-000000000005',
    systemUserId: '5a1e5000-0000-4000-8000-000000000005',
    fullName: 'Sam Sato',
    email: 'sam@contoso.example',
    title: 'Account Executive',
    roles: ['Salesperson'],
  },
  {
    alias: 'greta',
    objectId: '9e7a0000-0000-4000-8000-000000000006',
    systemUserId: '5e9e7a00-0000-4000-8000-000000000006',
    fullName: 'Greta Gruber',
    email: 'greta@contoso.example',
    title: 'Customer Service & Sales Representative',
    roles: ['Customer Service Representative', 'Salesperson'],
    // German UI: formatted values and user-localized labels come in German.
    uiLanguageId: 1031,
    ownsSeedRecords: false,
  },
];

/** Teams of the sample organisation (records can be owned by a team: `ownerid@odata.bind: "/teams(<id>)"`). */
export interface LocalTeam {
  teamId: string;
  name: string;
}

export const LOCAL_TEAMS: readonly LocalTeam[] = [
  { teamId: '7ea40000-0000-4000-8000-000000000101', name: 'Contoso Sales Team' },
  { teamId: '7ea40000-0000-4000-8000-000000000102', name: 'Contoso Support Team' },
];

export function findLocalUser(alias: string): LocalUser | undefined {
  return LOCAL_USERS.find((u) => u.alias === alias.toLowerCase());
}
