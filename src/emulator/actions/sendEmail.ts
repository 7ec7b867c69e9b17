import { toIso } from '../clock.js';
import { invalidArgument, notFound } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { loadRow, partyAddress, refreshEmailSummary, systemUpdate } from '../write/recordWriter.js';
import { actionParameters, actionTable } from './actionParameters.js';

import { EMAIL_PENDING_SEND, EMAIL_SENT } from './emailStatus.js';

/**
 * `POST /emails(<id>)/Microsoft.Dynamics.CRM.SendEmail`. IssueSend "true if the email should be
 * sent; otherwise, false, just record it as sent"
 * (https://learn.microsoft.com/dotnet/api/microsoft.crm.sdk.messages.sendemailrequest.issuesend):
 * false records it as 3 Sent at once; true leaves it 6 Pending Send (state Completed) in the outbox
 * until server-side synchronization picks it up ("an email in pending send status is picked up",
 * https://learn.microsoft.com/previous-versions/dynamicscrm-2016/developers-guide/dn455473(v=crm.8)),
 * which the emulator does on `deliverMail()` / `POST /_emulator/outbox/deliver`.
 */
export function sendEmail(scope: RequestScope, emailId: string): ApiResponse {
  const p = actionParameters('emails', 'SendEmail', scope.req.body, {
    IssueSend: { type: 'boolean', required: true },
    TrackingToken: { type: 'string', required: false },
  });
  const email = actionTable(scope, 'email');
  // "SendEmail message privileges": prvReadActivity, prvReadUser, prvWriteActivity; there is no
  // send privilege of its own (https://learn.microsoft.com/previous-versions/dynamicscrm-2016/developers-guide/gg334270(v=crm.8)).
  scope.access.require('Read', email);
  scope.access.require('Write', email);
  scope.access.require('Read', actionTable(scope, 'systemuser'));
  const store = scope.core.store;
  const row = loadRow(store, email, emailId);
  if (!row) throw notFound('email', emailId);
  if (row.statecode !== 0 || row.statuscode !== 1) {
    throw invalidArgument(`The email with Id ${emailId} cannot be sent because it is not a draft (it has already been sent or closed).`);
  }
  const parties = store.all(`SELECT partyid, participationtypemask, addressused FROM activityparty WHERE activityid = ?`, [emailId]);
  const addresses = (mask: number) => parties.filter((x) => x.participationtypemask === mask).map((x) => partyAddress(store, x.partyid, x.addressused));
  const to = addresses(2);
  if (to.length === 0) throw invalidArgument('The email must have at least one recipient before it can be sent.');
  if (to.some((a) => a === null)) throw invalidArgument('One or more recipients of the email have no email address.');
  const now = toIso(scope.write.now);
  const issue = p.IssueSend === true;
  store.transaction(() => {
    systemUpdate(scope.write, email, emailId, { statecode: 1, statuscode: issue ? EMAIL_PENDING_SEND : EMAIL_SENT, directioncode: true, actualend: now });
    // senton is when it left: at once when only recorded, on delivery when it is really sent.
    if (!issue) store.run(`UPDATE email SET senton = ? WHERE activityid = ?`, [now, emailId]);
    refreshEmailSummary(store, emailId);
  });
  if (issue) {
    const regarding = typeof row.regardingobjectid === 'string' ? row.regardingobjectid : null;
    scope.core.outbox.push({
      activityId: emailId,
      subject: typeof row.subject === 'string' ? row.subject : null,
      body: typeof row.description === 'string' ? row.description : null,
      from: addresses(1)[0] ?? null,
      to: to.filter((a): a is string => a !== null),
      cc: addresses(3).filter((a): a is string => a !== null),
      bcc: addresses(4).filter((a): a is string => a !== null),
      regarding: regarding ? { id: regarding, logicalName: store.names.get(regarding)?.table ?? '' } : null,
      sentOn: now,
      sentBy: scope.req.principal.systemUserId,
      status: 'pending',
      deliveredOn: null,
    });
  }
  return {
    status: 200,
    body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.SendEmailResponse`, Subject: typeof row.subject === 'string' ? row.subject : null },
  };
}
