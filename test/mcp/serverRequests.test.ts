import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';

import { type Delivery, type ResponseHop, ServerRequestRelay } from '../../src/mcp/serverRequests.js';

/** The per-request transport the SDK would give the server: records what the server sends. */
class RecordingTransport implements Transport {
  sent: JSONRPCMessage[] = [];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  async start(): Promise<void> {}
  async send(message: JSONRPCMessage): Promise<void> {
    this.sent.push(message);
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
}

/** A hop whose hold the test grants by hand, recording what it carries. */
class ManualHop implements ResponseHop {
  carried: Array<{ instance: string; delivery: Delivery }> = [];
  holds = 0;
  releases = 0;
  private grant: (() => void) | undefined;
  async send(instance: string, delivery: Delivery): Promise<boolean> {
    this.carried.push({ instance, delivery });
    return true;
  }
  hold(): Promise<() => void> {
    this.holds++;
    return new Promise((resolve) => {
      this.grant = () => resolve(() => void this.releases++);
    });
  }
  open(): void {
    this.grant?.();
  }
}

const sampling = { jsonrpc: '2.0', id: 5, method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } } as JSONRPCMessage;

describe('ServerRequestRelay', () => {
  it('sends a server→client request only once this instance can receive the answer, and releases the hold when answered', async () => {
    const hop = new ManualHop();
    const relay = new ServerRequestRelay(hop, '0123456789abcdef');
    const inner = new RecordingTransport();
    const transport = relay.wrap(inner, 'session-1', 'tenant_alice');
    const answers: JSONRPCMessage[] = [];
    transport.onmessage = (m) => void answers.push(m);

    const sending = transport.send(sampling);
    await new Promise((r) => setImmediate(r));
    // The queue is not there yet: nothing has left, so no answer can be lost on the way back.
    expect(hop.holds).toBe(1);
    expect(inner.sent).toEqual([]);
    hop.open();
    await sending;
    const wireId = (inner.sent[0] as { id: string }).id;
    expect(wireId).toMatch(/^srv\.0123456789abcdef\.[A-Za-z0-9_-]{24}$/);

    // Another session, or another user, cannot answer in its place.
    expect(relay.accept({ sessionId: 'session-2', owner: 'tenant_alice', message: { jsonrpc: '2.0', id: wireId, result: {} } })).toBe(false);
    expect(relay.accept({ sessionId: 'session-1', owner: 'tenant_mallory', message: { jsonrpc: '2.0', id: wireId, result: {} } })).toBe(false);
    expect(relay.accept({ sessionId: 'session-1', owner: 'tenant_alice', message: { jsonrpc: '2.0', id: wireId, result: { ok: 1 } } })).toBe(true);
    expect(answers).toEqual([{ jsonrpc: '2.0', id: 5, result: { ok: 1 } }]);
    expect(relay.accept({ sessionId: 'session-1', owner: 'tenant_alice', message: { jsonrpc: '2.0', id: wireId, result: { ok: 2 } } })).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(hop.releases).toBe(1);
    expect(relay.waiting).toBe(0);
  });

  it('routes an answer naming another instance through the hop, and one naming this instance in-process', async () => {
    const hop = new ManualHop();
    const relay = new ServerRequestRelay(hop, 'aaaaaaaaaaaaaaaa');
    const answer = (id: string) => ({ jsonrpc: '2.0' as const, id, result: {} });
    expect(await relay.route('s', 'o', answer(`srv.bbbbbbbbbbbbbbbb.${'x'.repeat(24)}`))).toBe(true);
    expect(hop.carried).toEqual([{ instance: 'bbbbbbbbbbbbbbbb', delivery: { sessionId: 's', owner: 'o', message: answer(`srv.bbbbbbbbbbbbbbbb.${'x'.repeat(24)}`) } }]);
    // Ours but unknown, and not a relay id at all: nothing to deliver, nothing carried.
    expect(await relay.route('s', 'o', answer(`srv.aaaaaaaaaaaaaaaa.${'x'.repeat(24)}`))).toBe(false);
    expect(await relay.route('s', 'o', answer('42'))).toBe(false);
    // An instance name of another shape is not carried to whatever queue it would name.
    expect(await relay.route('s', 'o', answer(`srv.Other-Queue.${'x'.repeat(24)}`))).toBe(false);
    expect(await relay.route('s', 'o', answer(`srv.${'b'.repeat(20)}.${'x'.repeat(24)}`))).toBe(false);
    expect(hop.carried).toHaveLength(1);
  });

  it('a request abandoned before its answer (the call ended) releases its hold', async () => {
    const hop = new ManualHop();
    const relay = new ServerRequestRelay(hop, 'cccccccccccccccc');
    const inner = new RecordingTransport();
    const transport = relay.wrap(inner, 's', 'o');
    const sending = transport.send(sampling);
    hop.open();
    await sending;
    expect(relay.waiting).toBe(1);
    await transport.close();
    await new Promise((r) => setImmediate(r));
    expect(relay.waiting).toBe(0);
    expect(hop.releases).toBe(1);
  });
});
