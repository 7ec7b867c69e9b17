import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo } from 'node:net';

/** Azurite's published development account (documented, not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  /** Table service port. */
  port: number;
  /** Queue service port (per-instance delivery queues; always in memory). */
  queuePort: number;
  /** Reaches both services (Table and Queue endpoints). */
  connectionString: string;
  close(): Promise<void>;
}

export function azuriteConnectionString(port: number, host = '127.0.0.1', queuePort?: number): string {
  const queue = queuePort ? `QueueEndpoint=http://${host}:${queuePort}/${ACCOUNT};` : '';
  return `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};TableEndpoint=http://${host}:${port}/${ACCOUNT};${queue}`;
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
 * Starts Azurite's Table and Queue services as child processes on loopback: the real APIs, spoken to
 * through @azure/data-tables and @azure/storage-queue. `location` persists the tables across runs;
 * without it they live in memory. Queues always do: each instance's queue lives only as long as it.
 */
export async function startAzurite(options: { port?: number; queuePort?: number; location?: string; host?: string } = {}): Promise<AzuriteHandle> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  // Checked up front: with another listener on the port, waitForPort would mistake it for Azurite.
  if (options.port && !(await portIsFree(port, host))) throw addressInUse(host, port);
  const tableArgs = ['--tableHost', host, '--tablePort', String(port)];
  if (options.location) {
    await mkdir(options.location, { recursive: true });
    tableArgs.push('--location', options.location);
  } else {
    tableArgs.push('--inMemoryPersistence');
  }
  const queuePort = options.queuePort || (await freePort(host));
  if (options.queuePort && !(await portIsFree(queuePort, host))) throw addressInUse(host, queuePort);
  // In parallel: both are on the start-up path of npm start and of every test run.
  const [table, queue] = await Promise.allSettled([
    startService('table', tableArgs, host, port),
    startService('queue', ['--queueHost', host, '--queuePort', String(queuePort), '--inMemoryPersistence'], host, queuePort),
  ]);
  if (table.status === 'rejected' || queue.status === 'rejected') {
    await Promise.all([table, queue].map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    throw table.status === 'rejected' ? table.reason : (queue as PromiseRejectedResult).reason;
  }
  return {
    port,
    queuePort,
    connectionString: azuriteConnectionString(port, host, queuePort),
    async close() {
      await Promise.all([queue.value.close(), table.value.close()]);
    },
  };
}

interface AzuriteService {
  close(): Promise<void>;
}

async function startService(service: 'table' | 'queue', serviceArgs: string[], host: string, port: number): Promise<AzuriteService> {
  const main = createRequire(import.meta.url).resolve(`azurite/dist/src/${service}/main.js`);
  const args = [main, ...serviceArgs, '--disableTelemetry', '--silent'];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit').then(() => {
    if (/EADDRINUSE/.test(output)) throw addressInUse(host, port);
    throw new Error(`Azurite (${service}) exited during start-up: ${output.trim().slice(-500)}`);
  });
  await Promise.race([waitForPort(host, port, 20_000), exited]);
  exited.catch(() => undefined);
  return {
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
