import azureFunctions, { type InvocationContext } from '@azure/functions';

import { getApp } from './runtime.js';

/** Removes expired session and confirmation rows; reads already ignore them, this only reclaims storage. */
azureFunctions.app.timer('sweepExpiredSessions', {
  schedule: '0 */30 * * * *',
  handler: async (_timer: unknown, context: InvocationContext) => {
    const app = await getApp();
    const sessions = await app.sessions.sweepExpired();
    const handles = await app.confirmations.sweepExpired();
    const chats = await app.chats.sweepExpired();
    // Also here, not only on each instance's own timer: a worker idle between invocations may be frozen.
    const queues = await app.sweepOrphanQueues();
    context.log(`removed ${sessions} expired sessions, ${handles} expired confirmation handles, ${chats} expired chats and ${queues} queues of ended instances`);
  },
});
