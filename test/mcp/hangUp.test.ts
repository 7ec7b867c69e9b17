import { describe, expect, it } from 'vitest';

import { hangUpOf, ReportedHangUp } from '../../src/mcp/hangUp.js';

describe('a hang-up', () => {
  it('reported by the host reaches its listeners once, not the ones that stopped listening, and no later ones', () => {
    const hangUp = new ReportedHangUp();
    const heard: string[] = [];
    hangUp.subscribe(() => heard.push('a'));
    const stop = hangUp.subscribe(() => heard.push('b'));
    stop();
    expect(hangUp.happened).toBe(false);
    hangUp.hangUp();
    hangUp.hangUp();
    expect(hangUp.happened).toBe(true);
    expect(heard).toEqual(['a']);
    hangUp.subscribe(() => heard.push('late'));
    expect(heard).toEqual(['a']);
  });

  it('has a signal that follows it, whether asked for before or after', () => {
    const before = new ReportedHangUp();
    const signal = before.signal;
    expect(signal.aborted).toBe(false);
    before.hangUp();
    expect(signal.aborted).toBe(true);
    const after = new ReportedHangUp();
    after.hangUp();
    expect(after.signal.aborted).toBe(true);
  });

  it('of an AbortSignal follows its abort', () => {
    const controller = new AbortController();
    const hangUp = hangUpOf(controller.signal);
    const heard: string[] = [];
    hangUp.subscribe(() => heard.push('a'));
    hangUp.subscribe(() => heard.push('b'))();
    controller.abort();
    expect(hangUp.happened).toBe(true);
    expect(heard).toEqual(['a']);
    expect(hangUp.signal).toBe(controller.signal);
  });
});
