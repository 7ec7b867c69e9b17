import { once } from 'node:events';
import { createServer, type Server } from 'node:net';

/**
 * A base port whose block of four (PORT..PORT+3, as the dev host uses them) is free. Drawn below
 * Linux's ephemeral range, so ports the OS hands out to other tests never land in it.
 */
export async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const servers: Server[] = [];
    let ok = true;
    for (let i = 0; i < 4 && ok; i++) {
      const s = createServer();
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(base + i, '127.0.0.1', () => resolve(true));
      });
      servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
    if (ok) return base;
  }
  throw new Error('no free port block');
}

/** Holds a loopback port (as another program would) until closed. */
export async function occupy(port: number): Promise<Server> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

export function release(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
