import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { paramHeadersOf } from '../../src/mcp/paramHeaders.js';
import { mcpHeaders, modernHeaders, modernRequest, readJsonRpc, startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ emulator: true });
});
afterAll(async () => {
  await server?.close();
});

const call = (args: Record<string, unknown>) => modernRequest('tools/call', { name: 'describe_table', arguments: args });
const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

async function post(params: Record<string, string>, args: Record<string, unknown> = { table_name: 'account' }) {
  const res = await fetch(server.mcpUrl('dataverse'), {
    method: 'POST',
    headers: modernHeaders(await server.token('dana'), 'tools/call', 'describe_table', params),
    body: JSON.stringify(call(args)),
  });
  return { status: res.status, body: await readJsonRpc(res) };
}

describe('SEP-2243 parameter headers (2026-07-28)', () => {
  it('declares table_name as Mcp-Param-Table on the Dataverse tools', async () => {
    const client = new ModernClient({ name: 'headers', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(new URL(server.mcpUrl('dataverse')), { requestInit: { headers: { Authorization: `Bearer ${await server.token('dana')}` } } }));
    try {
      const tools = (await client.listTools()).tools;
      const declaring = tools.filter((t) => paramHeadersOf(t.inputSchema as Record<string, unknown>).length > 0).map((t) => t.name);
      expect(declaring.sort()).toEqual(['create_record', 'create_records', 'create_table', 'delete_record', 'delete_table', 'describe_table', 'file_download', 'init_file_upload', 'update_record', 'update_records', 'update_table']);
      // The official client mirrors the argument itself once it has listed the tools.
      const described = await client.callTool({ name: 'describe_table', arguments: { table_name: 'account' } });
      expect(described.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('accepts a matching header, literal or Base64, and refuses a missing, different or malformed one with 400 / -32020', async () => {
    expect((await post({ Table: 'account' })).status).toBe(200);
    expect((await post({ Table: b64('account') })).status).toBe(200);
    // Non-ASCII values travel Base64-encoded; the decoded text is compared.
    const accented = await post({ Table: b64('accoünt') }, { table_name: 'accoünt' });
    expect(accented.status).toBe(200);
    expect((accented.body['result'] as { isError?: boolean }).isError).toBe(true); // the tool then refuses the name itself

    for (const [headers, reason] of [
      [{}, /Mcp-Param-Table is required/],
      [{ Table: 'contact' }, /does not match the argument "table_name"/],
      [{ Table: '=?base64?YWNjb3VudA?=' }, /not valid Base64/],
      [{ Table: '=?base64?YWNj!!b3VudA==?=' }, /not valid Base64/],
    ] as const) {
      const { status, body } = await post(headers as Record<string, string>);
      expect(status, JSON.stringify(headers)).toBe(400);
      expect(body['error']).toMatchObject({ code: -32020 });
      expect((body['error'] as { message: string }).message).toMatch(reason);
      expect(body['id']).toBe(1);
    }
  });

  it('expects no header for an argument the body does not carry, and does not apply to 2025-era sessions', async () => {
    // describe_table without table_name: no header expected; the tool's own validation answers.
    const absent = await post({}, {});
    expect(absent.status).toBe(200);
    expect((absent.body['result'] as { isError?: boolean }).isError).toBe(true);

    const token = await server.token('dana');
    const res = await fetch(server.mcpUrl('dataverse'), {
      method: 'POST',
      headers: mcpHeaders(token, { 'mcp-protocol-version': '2025-06-18' }),
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'describe_table', arguments: { table_name: 'account' } } }),
    });
    expect(res.status).toBe(200);
    expect((await readJsonRpc(res))['result']).toBeDefined();
  });
});
