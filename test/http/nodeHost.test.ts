import { describe, expect, it } from 'vitest';

import { portIsFree } from '../../src/dev/azurite.js';
import { listenNodeHost } from '../../src/http/nodeHost.js';
import { startTestServer } from '../helpers/harness.js';

describe('the node host', () => {
  it('holds its port before it has an app, answering 503 with Retry-After, and closes once', async () => {
    const listener = await listenNodeHost();
    const port = Number(new URL(listener.url).port);
    // Nobody else can take the port while the app is being built.
    expect(await portIsFree(port)).toBe(false);
    const early = await fetch(`${listener.url}/health`);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    expect(await early.json()).toEqual({ error: 'starting' });
    await Promise.all([listener.close(), listener.close()]);
    expect(await portIsFree(port)).toBe(true);
  });

  it('is built with the public URL of the port it already holds', async () => {
    const server = await startTestServer();
    try {
      expect(server.config.publicBaseUrl).toBe(server.url);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
