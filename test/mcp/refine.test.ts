import { describe, expect, it } from 'vitest';

import { refine } from '../../src/mcp/dispatch.js';
import type { ToolContext } from '../../src/tools/defineTool.js';

/** A call context whose parts count how often they are built, as the server's CallContext builds them once. */
function countingContext(): { ctx: ToolContext; built: string[] } {
  const built: string[] = [];
  const parts: Record<string, unknown> = {};
  const part = (name: string) => (parts[name] ??= (built.push(name), { name }));
  const ctx = {
    requestId: 'r1',
    get signal() {
      return part('signal');
    },
    get dataverse() {
      return part('dataverse');
    },
    get cursors() {
      return part('cursors');
    },
    confirmedId: () => undefined,
  } as unknown as ToolContext;
  return { ctx, built };
}

describe('refine', () => {
  it('replaces members without building any of the others, which are built once when used', () => {
    const { ctx, built } = countingContext();
    const view = refine(ctx, { confirmedId: (purpose) => `id:${purpose}` });
    const nested = refine(view, { requestId: 'r2' });
    expect(built).toEqual([]);
    expect(nested.confirmedId('lead')).toBe('id:lead');
    expect(nested.requestId).toBe('r2');
    expect(view.requestId).toBe('r1');
    expect(nested.dataverse).toBe(ctx.dataverse);
    expect(view.dataverse).toBe(ctx.dataverse);
    expect(built).toEqual(['dataverse']);
    expect(ctx.confirmedId('lead')).toBeUndefined();
  });

  it('keeps a replacing getter lazy', () => {
    const { ctx, built } = countingContext();
    let scoped = 0;
    const view = refine(ctx, {
      get cursors() {
        scoped++;
        return ctx.cursors;
      },
    });
    expect(scoped).toBe(0);
    expect(built).toEqual([]);
    void view.cursors;
    expect(scoped).toBe(1);
    expect(built).toEqual(['cursors']);
  });
});
