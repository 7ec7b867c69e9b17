import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo } from 'node:net';

/** Azurite's published development account (documented, not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  port: number;
  connectionString: string;
  close(): Promise<void>;
}

export function azuriteConnectionString(port: number, host = '127.0.0.1'): string {
  return `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};TableEndpoint=http://${host}:${port}/${ACCOUNT};`;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = createServer();
  probe.listen(0, host);
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Whether `port` can be bound on `host` right now (another listener → false). */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const probe = createServer();
  return new Promise<boolean>((resolve, reject) => {
    probe.once('error', (err) => (isAddressInUse(err) ? resolve(false) : reject(err)));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

export function isAddressInUse(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'EADDRINUSE';
}

/** The error Node's own `listen` gives, so callers handle Azurite's port like every other. */
function addressInUse(host: string, port: number): Error {
  return Object.assign(new Error(`listen EADDRINUSE: address already in use ${host}:${port}`), { code: 'EADDRINUSE', port });
}

/**
 * Starts Azurite's Table service as a child process on loopback: the real Table API, spoken to
 * through @azure/data-tables. `location` persists data across runs; without it data lives in memory.
 */
export async function startAzurite(options: { port?: number; location?: string; host?: string } = {}): Promise<AzuriteHandle> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  // Checked up front: with another listener on the port, waitForPort would mistake it for Azurite.
  if (options.port && !(await portIsFree(port, host))) throw addressInUse(host, port);
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/table/main.js');
  const args = [main, '--tableHost', host, '--tablePort', String(port), '--disableTelemetry', '--silent'];
  if (options.location) {
    await mkdir(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit').then(() => {
    if (/EADDRINUSE/.test(output)) throw addressInUse(host, port);
    throw new Error(`Azurite exited during start-up: ${output.trim().slice(-500)}`);
  });
  await Promise.race([waitForPort(host, port, 20_000), exited]);
  exited.catch(() => undefined);
  return {
    port,
    connectionString: azuriteConnectionString(port, host),
    async close() {
      if (child.exitCode !== null) return;
      // Azurite saves its database on SIGINT (graceful close); SIGTERM would lose the last writes.
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Azurite did not start listening on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
