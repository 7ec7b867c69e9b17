import { describe, expect, it } from 'vitest';

import { jsonAnswer, PreparedAnswer, toResponse } from '../../src/mcp/answer.js';

describe('a prepared answer', () => {
  it('counts the UTF-8 bytes of a text body, not its characters', () => {
    const answer = jsonAnswer({ text: 'Zoë Müller – 東京' });
    expect(typeof answer.body).toBe('string');
    expect(answer.byteLength).toBe(Buffer.byteLength(answer.body as string));
    expect(answer.byteLength).toBeGreaterThan((answer.body as string).length);
    expect(new PreparedAnswer(200, {}, new Uint8Array([1, 2, 3])).byteLength).toBe(3);
  });

  it('reads back as the same message through a web Response', async () => {
    const message = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'Zoë Müller – 東京' }] } };
    const response = toResponse(jsonAnswer(message));
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(message);
  });
});
