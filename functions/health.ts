import azureFunctions, { type HttpResponseInit } from '@azure/functions';

import { health } from '../src/http/nodeHost.js';
import { getApp, toResponseInit, unavailable } from './runtime.js';

azureFunctions.app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (): Promise<HttpResponseInit> => {
    try {
      return toResponseInit(await health(await getApp(), {}));
    } catch {
      return unavailable();
    }
  },
});
