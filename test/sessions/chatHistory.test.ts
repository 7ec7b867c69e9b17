import { TableClient } from '@azure/data-tables';
import { beforeAll, describe, expect, it, inject } from 'vitest';

import type { Principal } from '../../src/auth/principal.js';
import { ChatHistoryStore, ChatNotFoundError } from '../../src/sessions/chatHistory.js';
import { openTables } from '../../src/sessions/tableStorage.js';
import { TestClock } from '../helpers/clock.js';
import { uniquePrefix } from '../helpers/harness.js';

const user = (objectId: string): Principal => ({ tenantId: 't1', objectId, name: undefined, username: undefined, scopes: [], clientAppId: undefined, expiresAt: 0 });
const turn = (n: number) => ({ messageId: `m${n}`, at: new Date(0).toISOString(), question: `question ${n}`, answer: `answer ${n}` });

let table: TableClient;
beforeAll(async () => {
  table = (await openTables(inject('tablesConnectionString'), uniquePrefix())).chats;
});

describe('ChatHistoryStore', () => {
  it('keeps turns per chat, bound to the user and the agent', async () => {
    const store = new ChatHistoryStore(table, 3600, new TestClock().now);
    const bob = store.forUser(user('bob'), 'service');
    const id = await bob.append(undefined, turn(1));
    await bob.append(id, turn(2));
    expect((await bob.get(id))?.turns.map((t) => t.question)).toEqual(['question 1', 'question 2']);
    expect(await store.forUser(user('alice'), 'service').get(id)).toBeUndefined();
    expect(await store.forUser(user('bob'), 'sales').get(id)).toBeUndefined();
    await expect(store.forUser(user('alice'), 'service').append(id, turn(3))).rejects.toBeInstanceOf(ChatNotFoundError);
    expect(await bob.get('not-a-chat-id')).toBeUndefined();
  });

  it('concurrent turns of one chat all land (ETags), and only the latest ten are kept', async () => {
    const bob = new ChatHistoryStore(table, 3600, new TestClock().now).forUser(user('bob'), 'service');
    const id = await bob.append(undefined, turn(0));
    await Promise.all([1, 2].map((n) => bob.append(id, turn(n))));
    expect((await bob.get(id))?.turns.length).toBe(3);
    for (let n = 3; n < 15; n++) await bob.append(id, turn(n));
    const turns = (await bob.get(id))!.turns;
    expect(turns.length).toBe(10);
    expect(turns.at(-1)?.question).toBe('question 14');
  });

  it('expires a chat its time to live after the latest turn, on the injected clock; the sweep removes it', async () => {
    const clock = new TestClock();
    const store = new ChatHistoryStore(table, 600, clock.now);
    const bob = store.forUser(user('sweep'), 'service');
    const id = await bob.append(undefined, turn(1));
    clock.advance(599_000);
    await bob.append(id, turn(2));
    clock.advance(599_000);
    expect(await bob.get(id)).toBeDefined();
    clock.advance(2_000);
    expect(await bob.get(id)).toBeUndefined();
    expect(await store.sweepExpired()).toBeGreaterThanOrEqual(1);
  });
});
