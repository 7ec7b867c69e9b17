import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

/** One Application Insights envelope as the exporter sends it. */
export interface Envelope {
  name: string;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, string>; name?: string } };
  tags?: Record<string, string>;
}

export interface Ingestion {
  connectionString: string;
  /** Every request body received, decompressed. */
  bodies: string[];
  envelopes(): Envelope[];
  close(): Promise<void>;
}

/**
 * An Application Insights ingestion endpoint on 127.0.0.1 that keeps what it is sent. The exporter
 * speaks HTTPS only: a throwaway self-signed certificate, trusted in this test process alone
 * (NODE_TLS_REJECT_UNAUTHORIZED), and the SDK's own statsbeat (which would go to a Microsoft
 * endpoint) is off. Both variables are restored by close().
 */
export async function startIngestion(): Promise<Ingestion> {
  const previous = { statsbeat: process.env['APPLICATION_INSIGHTS_NO_STATSBEAT'], tls: process.env['NODE_TLS_REJECT_UNAUTHORIZED'] };
  process.env['APPLICATION_INSIGHTS_NO_STATSBEAT'] = 'true';
  process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  const dir = await mkdtemp(join(tmpdir(), 'ingestion-'));
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1']);
  const tls = { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
  await rm(dir, { recursive: true, force: true });
  const bodies: string[] = [];
  const server = createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      bodies.push(text);
      const items = parse(text).length;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ itemsReceived: items, itemsAccepted: items, errors: [] }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: `InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://127.0.0.1:${port}/;LiveEndpoint=https://127.0.0.1:${port}/`,
    bodies,
    envelopes: () => bodies.flatMap(parse),
    async close() {
      for (const [name, value] of [['APPLICATION_INSIGHTS_NO_STATSBEAT', previous.statsbeat], ['NODE_TLS_REJECT_UNAUTHORIZED', previous.tls]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parse(text: string): Envelope[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  return trimmed.startsWith('[') ? (JSON.parse(trimmed) as Envelope[]) : trimmed.split('\n').map((l) => JSON.parse(l) as Envelope);
}
