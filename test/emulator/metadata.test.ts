import { describe, expect, it } from 'vitest';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { q, useOrg } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

const label = (text: string) => ({ '@odata.type': 'Microsoft.Dynamics.CRM.Label', LocalizedLabels: [{ '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: text, LanguageCode: 1033 }] });

describe('reading metadata', () => {
  it('lists entity definitions with $select and $filter', async () => {
    const r = await org.api<ODataList>('alice', `EntityDefinitions?${q({ $select: 'LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,IsCustomEntity', $filter: "LogicalName eq 'lead'" })}`);
    expect(r.status).toBe(200);
    expect(r.body.value).toEqual([{ LogicalName: 'lead', EntitySetName: 'leads', PrimaryIdAttribute: 'leadid', PrimaryNameAttribute: 'fullname', IsCustomEntity: false, MetadataId: expect.any(String) }]);
    const custom = await org.api<ODataList>('alice', `EntityDefinitions?${q({ $select: 'LogicalName', $filter: 'IsCustomEntity eq true' })}`);
    // The predictive scoring solution's table and the knowledge base's QnA pairs (new_qna).
    expect(custom.body.value.map((v) => v.LogicalName)).toEqual(['msdyn_predictivescore', 'new_qna']);
    const all = await org.api<ODataList>('alice', `EntityDefinitions?${q({ $select: 'LogicalName,DisplayName' })}`);
    const account = all.body.value.find((v) => v.LogicalName === 'account') as Rec;
    expect((account.DisplayName as { UserLocalizedLabel: { Label: string } }).UserLocalizedLabel.Label).toBe('Account');
    const bad = await org.api<ODataError>('alice', `EntityDefinitions?${q({ $select: 'NoSuchProperty' })}`);
    expect(bad.status).toBe(400);
  });

  it('retrieves one definition by LogicalName with expanded attributes', async () => {
    const r = await org.api<Rec>('alice', `EntityDefinitions(LogicalName='account')?${q({ $select: 'LogicalName,SchemaName,EntitySetName,ObjectTypeCode,OwnershipType', $expand: "Attributes($select=LogicalName,AttributeType,RequiredLevel,MaxLength;$filter=AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'String')" })}`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ LogicalName: 'account', SchemaName: 'Account', EntitySetName: 'accounts', ObjectTypeCode: 1, OwnershipType: 'UserOwned' });
    const attrs = r.body.Attributes as Rec[];
    const name = attrs.find((a) => a.LogicalName === 'name') as Rec;
    expect(name).toMatchObject({ '@odata.type': '#Microsoft.Dynamics.CRM.StringAttributeMetadata', AttributeType: 'String', MaxLength: 160, RequiredLevel: { Value: 'ApplicationRequired' } });
    expect(attrs.every((a) => a.AttributeType === 'String')).toBe(true);
    const byId = await org.api<Rec>('alice', `EntityDefinitions(${String(r.body.MetadataId)})?$select=LogicalName`);
    expect(byId.body.LogicalName).toBe('account');
    const missing = await org.api<ODataError>('alice', "EntityDefinitions(LogicalName='nosuch')");
    expect(missing.status).toBe(404);
  });

  it('lists attributes and single attributes with the documented shapes', async () => {
    const r = await org.api<ODataList>('alice', `EntityDefinitions(LogicalName='lead')/Attributes?${q({ $select: 'LogicalName,AttributeType,DisplayName,IsPrimaryId' })}`);
    const leadid = r.body.value.find((a) => a.LogicalName === 'leadid') as Rec;
    expect(leadid).toMatchObject({ AttributeType: 'Uniqueidentifier', IsPrimaryId: true });
    const subject = await org.api<Rec>('alice', "EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='subject')");
    expect(subject.body).toMatchObject({ LogicalName: 'subject', AttributeTypeName: { Value: 'StringType' }, MaxLength: 300, DisplayName: { UserLocalizedLabel: { Label: 'Topic' } } });
  });

  it('typed casts: picklists with option sets, state, status and lookup targets', async () => {
    const pick = await org.api<ODataList>('alice', `EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?${q({ $select: 'LogicalName', $expand: 'OptionSet' })}`);
    const source = pick.body.value.find((a) => a.LogicalName === 'leadsourcecode') as { OptionSet: { Options: Array<{ Value: number; Label: { UserLocalizedLabel: { Label: string } } }> } };
    expect(source.OptionSet.Options.map((o) => [o.Value, o.Label.UserLocalizedLabel.Label])).toContainEqual([8, 'Web']);
    expect(pick.body.value.every((a) => a['@odata.type'] === '#Microsoft.Dynamics.CRM.PicklistAttributeMetadata')).toBe(true);
    const state = await org.api<ODataList>('alice', "EntityDefinitions(LogicalName='incident')/Attributes/Microsoft.Dynamics.CRM.StateAttributeMetadata?$expand=OptionSet");
    const stateOptions = (state.body.value[0]?.OptionSet as { Options: Rec[] }).Options;
    expect(stateOptions.map((o) => [o.Value, o.DefaultStatus, o.InvariantName])).toEqual([
      [0, 1, 'Active'],
      [1, 5, 'Resolved'],
      [2, 6, 'Cancelled'],
    ]);
    const status = await org.api<ODataList>('alice', "EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$expand=OptionSet");
    const statusOptions = (status.body.value[0]?.OptionSet as { Options: Rec[] }).Options;
    expect(statusOptions.find((o) => o.Value === 3)).toMatchObject({ State: 1 });
    const lookups = await org.api<ODataList>('alice', `EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata?${q({ $select: 'LogicalName,Targets' })}`);
    expect(lookups.body.value.find((a) => a.LogicalName === 'parentcustomerid')?.Targets).toEqual(['account', 'contact']);
    const one = await org.api<Rec>('alice', "EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='leadqualitycode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet");
    expect((one.body.OptionSet as { Options: unknown[] }).Options).toHaveLength(3);
  });

  it('lists relationships with navigation property names', async () => {
    const r = await org.api<ODataList>('alice', "EntityDefinitions(LogicalName='account')/OneToManyRelationships");
    const rel = r.body.value.find((x) => x.SchemaName === 'contact_customer_accounts');
    expect(rel).toMatchObject({ ReferencingEntity: 'contact', ReferencingAttribute: 'parentcustomerid', ReferencingEntityNavigationPropertyName: 'parentcustomerid_account' });
  });
});

describe('custom tables', () => {
  it('creates a table, adds columns, runs CRUD, query and SQL on it, then deletes it', async () => {
    const create = await org.api('dana', 'EntityDefinitions', {
      method: 'POST',
      body: {
        '@odata.type': 'Microsoft.Dynamics.CRM.EntityMetadata',
        SchemaName: 'new_Project',
        DisplayName: label('Project'),
        DisplayCollectionName: label('Projects'),
        Description: label('Customer projects'),
        OwnershipType: 'UserOwned',
        IsActivity: false,
        HasActivities: false,
        HasNotes: true,
        Attributes: [
          {
            '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata',
            AttributeType: 'String',
            AttributeTypeName: { Value: 'StringType' },
            SchemaName: 'new_Name',
            IsPrimaryName: true,
            RequiredLevel: { Value: 'None', CanBeChanged: true, ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings' },
            MaxLength: 100,
            FormatName: { Value: 'Text' },
            DisplayName: label('Project Name'),
          },
        ],
      },
    });
    expect(create.status, create.text).toBe(204);
    expect(create.headers.get('odata-entityid')).toMatch(/EntityDefinitions\([0-9a-f-]{36}\)$/);
    const def = await org.api<Rec>('dana', "EntityDefinitions(LogicalName='new_project')?$select=EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,IsCustomEntity,SchemaName");
    expect(def.body).toMatchObject({ EntitySetName: 'new_projects', PrimaryIdAttribute: 'new_projectid', PrimaryNameAttribute: 'new_name', IsCustomEntity: true, SchemaName: 'new_Project' });

    const columns: Rec[] = [
      { '@odata.type': 'Microsoft.Dynamics.CRM.MemoAttributeMetadata', SchemaName: 'new_Notes', MaxLength: 4000, DisplayName: label('Notes') },
      { '@odata.type': 'Microsoft.Dynamics.CRM.IntegerAttributeMetadata', SchemaName: 'new_Seats', MinValue: 0, MaxValue: 1000, DisplayName: label('Seats') },
      { '@odata.type': 'Microsoft.Dynamics.CRM.DecimalAttributeMetadata', SchemaName: 'new_Margin', Precision: 2, DisplayName: label('Margin') },
      { '@odata.type': 'Microsoft.Dynamics.CRM.MoneyAttributeMetadata', SchemaName: 'new_Budget', DisplayName: label('Budget') },
      { '@odata.type': 'Microsoft.Dynamics.CRM.BooleanAttributeMetadata', SchemaName: 'new_Active', DisplayName: label('Active'), OptionSet: { TrueOption: { Value: 1, Label: label('Live') }, FalseOption: { Value: 0, Label: label('Paused') } } },
      { '@odata.type': 'Microsoft.Dynamics.CRM.DateTimeAttributeMetadata', SchemaName: 'new_Due', Format: 'DateOnly', DisplayName: label('Due') },
      {
        '@odata.type': 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata',
        SchemaName: 'new_Phase',
        DisplayName: label('Phase'),
        OptionSet: { IsGlobal: false, OptionSetType: 'Picklist', Options: [{ Value: 100000000, Label: label('Planning') }, { Value: 100000001, Label: label('Delivery') }] },
      },
      { '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata', SchemaName: 'new_Code', MaxLength: 10, DisplayName: label('Code') },
    ];
    for (const c of columns) {
      const r = await org.api('dana', "EntityDefinitions(LogicalName='new_project')/Attributes", { method: 'POST', body: c });
      expect(r.status, `${String(c.SchemaName)}: ${r.text}`).toBe(204);
      expect(r.headers.get('odata-entityid')).toMatch(/EntityDefinitions\([0-9a-f-]{36}\)\/Attributes\([0-9a-f-]{36}\)$/);
    }
    const dup = await org.api<ODataError>('dana', "EntityDefinitions(LogicalName='new_project')/Attributes", { method: 'POST', body: columns[1] });
    expect(dup.status).toBe(400);

    const post = await org.api<Rec>('dana', 'new_projects?$select=new_name,new_seats,new_active,new_phase,new_due', {
      method: 'POST',
      headers: { Prefer: 'return=representation,odata.include-annotations="*"' },
      body: { new_name: 'Contoso rollout', new_notes: 'Phase one', new_seats: 250, new_margin: 0.35, new_budget: 125000, new_active: true, new_due: '2027-03-31', new_phase: 100000001, new_code: 'CR-1' },
    });
    expect(post.status, post.text).toBe(201);
    expect(post.body).toMatchObject({ new_name: 'Contoso rollout', new_seats: 250, new_active: true, 'new_active@OData.Community.Display.V1.FormattedValue': 'Live', new_phase: 100000001, 'new_phase@OData.Community.Display.V1.FormattedValue': 'Delivery', new_due: '2027-03-31' });
    const id = String(post.body.new_projectid);
    const bad = await org.api<ODataError>('dana', 'new_projects', { method: 'POST', body: { new_name: 'x', new_code: 'TOO-LONG-CODE' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("'new_code'");
    const badOption = await org.api<ODataError>('dana', 'new_projects', { method: 'POST', body: { new_name: 'x', new_phase: 1 } });
    expect(badOption.body.error.code).toBe('0x8004431a');
    expect((await org.api('dana', `new_projects(${id})`, { method: 'PATCH', body: { new_seats: 300 } })).status).toBe(204);
    const note = await org.api('dana', 'annotations', { method: 'POST', body: { subject: 'Kick-off', 'objectid_new_project@odata.bind': `/new_projects(${id})` } });
    expect(note.status, note.text).toBe(204);
    const withNotes = await org.api<Rec>('dana', `new_projects(${id})?$select=new_name&$expand=new_project_Annotations($select=subject)`);
    expect((withNotes.body.new_project_Annotations as Rec[]).map((n) => n.subject)).toEqual(['Kick-off']);
    const found = await org.api<ODataList>('dana', `new_projects?${q({ $select: 'new_name,new_seats,statecode', $filter: 'new_seats gt 100 and new_active eq true' })}`);
    expect(found.body.value).toEqual([expect.objectContaining({ new_name: 'Contoso rollout', new_seats: 300, statecode: 0 })]);
    const sql = await org.api<ODataList>('dana', `new_projects?sql=${encodeURIComponent('SELECT p.new_name, p.new_seats, p.new_phasename FROM new_project AS p WHERE p.new_seats > 100')}`);
    expect(sql.status, sql.text).toBe(200);
    expect(sql.body.value[0]).toMatchObject({ new_name: 'Contoso rollout', new_seats: 300, new_phasename: 'Delivery' });

    const delAttr = await org.api('dana', "EntityDefinitions(LogicalName='new_project')/Attributes(LogicalName='new_code')", { method: 'DELETE' });
    expect(delAttr.status).toBe(204);
    expect((await org.api('dana', 'new_projects?$select=new_code')).status).toBe(400);
    expect((await org.api('dana', `new_projects(${id})`, { method: 'DELETE' })).status).toBe(204);
    const drop = await org.api('dana', "EntityDefinitions(LogicalName='new_project')", { method: 'DELETE' });
    expect(drop.status).toBe(204);
    expect((await org.api<ODataError>('dana', 'new_projects')).status).toBe(404);
    expect((await org.api('dana', "EntityDefinitions(LogicalName='new_project')")).status).toBe(404);
  });

  it('adds a custom column to a standard table', async () => {
    const r = await org.api('dana', "EntityDefinitions(LogicalName='account')/Attributes", {
      method: 'POST',
      body: { '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata', SchemaName: 'new_Tier', MaxLength: 20, DisplayName: label('Tier') },
    });
    expect(r.status, r.text).toBe(204);
    const id = (await org.api<ODataList>('alice', "accounts?$select=accountid&$filter=name eq 'Contoso Ltd.'")).body.value[0]?.accountid;
    expect((await org.api('alice', `accounts(${String(id)})`, { method: 'PATCH', body: { new_tier: 'Gold' } })).status).toBe(204);
    const got = await org.api<Rec>('alice', `accounts(${String(id)})?$select=name,new_tier`);
    expect(got.body.new_tier).toBe('Gold');
  });

  it('refuses invalid definitions and deleting system tables', async () => {
    const noPrefix = await org.api<ODataError>('dana', 'EntityDefinitions', { method: 'POST', body: { SchemaName: 'Project', DisplayName: label('P'), DisplayCollectionName: label('Ps'), Attributes: [] } });
    expect(noPrefix.status).toBe(400);
    expect(noPrefix.body.error.message).toContain('prefix');
    const noPrimary = await org.api<ODataError>('dana', 'EntityDefinitions', { method: 'POST', body: { SchemaName: 'new_Thing', DisplayName: label('T'), DisplayCollectionName: label('Ts'), Attributes: [] } });
    expect(noPrimary.status).toBe(400);
    const exists = await org.api<ODataError>('dana', 'EntityDefinitions', {
      method: 'POST',
      body: { SchemaName: 'new_Account', DisplayName: label('A'), DisplayCollectionName: label('As'), Attributes: [{ '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata', SchemaName: 'new_Name', IsPrimaryName: true }] },
    });
    expect(exists.status).toBe(204);
    const again = await org.api<ODataError>('dana', 'EntityDefinitions', {
      method: 'POST',
      body: { SchemaName: 'new_Account', DisplayName: label('A'), DisplayCollectionName: label('As'), Attributes: [{ '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata', SchemaName: 'new_Name', IsPrimaryName: true }] },
    });
    expect(again.status).toBe(400);
    const system = await org.api<ODataError>('dana', "EntityDefinitions(LogicalName='account')", { method: 'DELETE' });
    expect(system.status).toBe(400);
    const lookup = await org.api<ODataError>('dana', "EntityDefinitions(LogicalName='account')/Attributes", { method: 'POST', body: { '@odata.type': 'Microsoft.Dynamics.CRM.LookupAttributeMetadata', SchemaName: 'new_Other' } });
    expect(lookup.status).toBe(400);
  });
});
