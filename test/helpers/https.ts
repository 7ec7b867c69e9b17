import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface HttpsRecorder {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A storage endpoint on 127.0.0.1 over HTTPS (Azure SDKs send bearer tokens over nothing else) with
 * a throwaway self-signed certificate: it records each request and answers with `answer`. The
 * process must accept the certificate (NODE_TLS_REJECT_UNAUTHORIZED=0 while the test runs).
 */
export async function startHttpsRecorder(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpsRecorder> {
  const dir = await mkdtemp(join(tmpdir(), 'https-'));
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1']);
  const tls = { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
  await rm(dir, { recursive: true, force: true });
  const seen: SeenRequest[] = [];
  const server: Server = createServer(tls, (req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
      answer(req, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
