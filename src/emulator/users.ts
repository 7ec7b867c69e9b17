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
];

export function findLocalUser(alias: string): LocalUser | undefined {
  return LOCAL_USERS.find((u) => u.alias === alias.toLowerCase());
}
