import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

/**
 * Greta's Dynamics speaks German: Dataverse formats every choice, state and status label in the
 * caller's UI language. The tools must decide on numbers (statecode 0, leadqualitycode 1), never
 * on labels, or they refuse every case and lead of a German user.
 */
let server: TestServer;
let service: TestClient;
let sales: TestClient;
beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  service = await connect(server, 'greta', 'service');
  sales = await connect(server, 'greta', 'sales');
}, 60_000);
afterAll(async () => {
  await service?.close();
  await sales?.close();
  await server?.close();
});

interface Case {
  caseId: string;
  state: string;
  priority: string;
  statusReason: string;
}

describe('a user whose Dynamics speaks German', () => {
  it('updates and closes an active case ("Aktiv"), and a resolved one ("Gelöst") is refused', async () => {
    const cases = (await service.call('D365_CustomerService_ListCases', { top: 5 })).data['cases'] as Case[];
    const [first, second] = cases;
    expect(first!.state).toBe('Aktiv');
    const updated = resultOf<{ case: Case }>(await service.callConfirmed('D365_CustomerService_UpdateCase', { caseId: first!.caseId, priority: 'high' })).case;
    expect(updated.priority).toBe('Hoch');
    const closed = resultOf<{ case: Case }>(await service.callConfirmed('D365_CustomerService_CloseCase', { caseId: second!.caseId, resolution: 'Erledigt' })).case;
    expect(closed.state).toBe('Gelöst');
    const again = await service.call('D365_CustomerService_UpdateCase', { caseId: second!.caseId, priority: 'low' });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/is gelöst; only active cases can be updated/);
  });

  it('qualifies an open lead ("Offen") and suggests a next step for it', async () => {
    const lead = ((await sales.call('D365_Sales_ListLeads', { rating: 'hot', top: 1 })).data['leads'] as Array<{ leadId: string; state: string; rating: string }>)[0]!;
    expect(lead.state).toBe('Offen');
    expect(lead.rating).toBe('Heiß');
    const summary = await sales.call('D365_Sales_InvokeLeadSummary', { leadId: lead.leadId });
    expect(summary.data['nextStep']).not.toMatch(/^none/);
    const done = resultOf<{ created: unknown[] }>(await sales.callConfirmed('D365_Sales_QualifyLeadToOpportunity', { leadId: lead.leadId, createAccount: false, createContact: false }));
    expect(done.created.length).toBeGreaterThan(0);
    const twice = await sales.call('D365_Sales_QualifyLeadToOpportunity', { leadId: lead.leadId });
    expect(twice.isError).toBe(true);
    expect(twice.text).toMatch(/already qualifiziert; only open leads can be qualified/);
  });
});

describe('an email Dataverse has not handed to the mailbox yet', () => {
  it('is reported as submitted (Pending Send), not as sent, until the mailbox takes it', async () => {
    const alice = await connect(server, 'alice', 'sales');
    const lead = ((await alice.call('D365_Sales_ListLeads', { rating: 'warm', top: 10 })).data['leads'] as Array<{ leadId: string; email: string }>).find((l) => l.email)!;
    const sent = await alice.callConfirmed('D365_Sales_SendOutreachEmail', { leadId: lead.leadId, subject: 'Hello', body: 'Following up on your enquiry.' });
    const result = resultOf<{ status: string; emailId: string }>(sent);
    expect(result.status).toBe('Pending Send');
    expect(sent.text).toMatch(/is submitted for sending \(Dataverse reports Pending Send/);
    expect(server.emulator!.outbox.find((m) => m.activityId === result.emailId)?.status).toBe('pending');
    expect(server.emulator!.deliverMail().map((m) => m.activityId)).toContain(result.emailId);
    expect(server.emulator!.outbox.find((m) => m.activityId === result.emailId)?.status).toBe('delivered');
    await alice.close();
  });
});
