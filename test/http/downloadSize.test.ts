import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/app/buildApp.js';
import type { Principal } from '../../src/auth/principal.js';
import { findLocalUser, LOCAL_TENANT_ID } from '../../src/emulator/users.js';
import { handleFile } from '../../src/http/handleFile.js';
import type { McpApp } from '../../src/http/mcpApp.js';
import { deriveKey, referenceService } from '../../src/mcp/secrets.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { MAX_DOWNLOAD_BYTES } from '../../src/tools/knowledge/sources.js';
import { create, dataverseAs } from '../helpers/dataverse.js';
import { startTestServer, TEST_QUEUE_POLL, type TestServer } from '../helpers/harness.js';

/**
 * A download reads the note's size before its body, so an attachment over the limit (32 MB) is
 * never read into memory. The emulator computes `filesize` from the body it stores, so the size
 * Dataverse reports is raised on the wire here; what is asserted is which requests were made.
 */
const SECRET = 'download-size-test-state-secret-0123456789';
let server: TestServer;
let app: McpApp;
/** Dataverse requests for annotations, as `$select` lists, in order. */
const reads: string[] = [];
/** What the next size read reports (undefined: the true size). */
let reportedSize: number | undefined;

beforeAll(async () => {
  server = await startTestServer({ emulator: true, env: { MCP_STATE_SECRET: SECRET } });
  const observed: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const response = await fetch(input, init);
    if (!/\/annotations\(/.test(url.pathname)) return response;
    const select = url.searchParams.get('$select') ?? '';
    reads.push(select);
    if (reportedSize === undefined || !select.split(',').includes('filesize')) return response;
    const row = (await response.json()) as Record<string, unknown>;
    return new Response(JSON.stringify({ ...row, filesize: reportedSize }), { status: response.status, headers: response.headers });
  };
  app = await buildApp({ config: server.config, log: silentLogger, clock: server.clock.now, fetch: observed, queues: { poll: TEST_QUEUE_POLL } });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await server?.close();
});

const bob: Principal = { tenantId: LOCAL_TENANT_ID, objectId: findLocalUser('bob')!.objectId, name: undefined, username: undefined, scopes: [], clientAppId: undefined, expiresAt: 0 };

async function download(annotationId: string): Promise<Response> {
  const links = referenceService({ referenceKey: deriveKey(SECRET, 'reference'), linkKey: deriveKey(SECRET, 'download'), principal: bob, agentId: 'service', publicBaseUrl: server.url, now: server.clock.now });
  const { url } = links.downloadLink({ table: 'annotation', id: annotationId });
  const request = new Request(url, { headers: { authorization: `Bearer ${await server.token('bob')}` } });
  return handleFile(request, 'service', url.split('/').pop()!, app, { allowedHosts: [] });
}

describe('document downloads read the size first', () => {
  it('reads the size, then the body, for a note within the limit; only the size for one over it (answered 400)', async () => {
    const text = 'Gift boxes come in small and large.';
    const id = await create(dataverseAs(server, 'dana'), 'annotations', { subject: 'Sizes', filename: 'sizes.txt', mimetype: 'text/plain', documentbody: Buffer.from(text).toString('base64') });

    reads.length = 0;
    const small = await download(id);
    expect(small.status).toBe(200);
    expect(await small.text()).toBe(text);
    expect(reads).toHaveLength(2);
    expect(reads[0]!.split(',')).toContain('filesize');
    expect(reads[0]!.split(',')).not.toContain('documentbody');
    expect(reads[1]).toBe('documentbody');

    // Dataverse reports one byte over the limit: the body is never asked for.
    reads.length = 0;
    reportedSize = MAX_DOWNLOAD_BYTES + 1;
    const big = await download(id);
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({ message: expect.stringMatching(/larger than this server serves/) });
    expect(reads).toHaveLength(1);
    expect(reads[0]!.split(',')).not.toContain('documentbody');

    // Exactly at the limit is served.
    reads.length = 0;
    reportedSize = MAX_DOWNLOAD_BYTES;
    expect((await download(id)).status).toBe(200);
    expect(reads).toEqual([expect.stringContaining('filesize'), 'documentbody']);
    reportedSize = undefined;
  });
});
