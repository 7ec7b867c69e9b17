import azureFunctions, { type InvocationContext } from '@azure/functions';

import { getApp } from './runtime.js';

/** Removes expired session rows; reads already ignore them, this only reclaims storage. */
azureFunctions.app.timer('sweepExpiredSessions', {
  schedule: '0 */30 * * * *',
  handler: async (_timer: unknown, context: InvocationContext) => {
    const app = await getApp();
    const removed = await app.sessions.sweepExpired();
    context.log(`removed ${removed} expired sessions`);
  },
});
