import { describe, expect, it } from 'vitest';

import { createTelemetry, noTelemetry, type RelayFacts, type TelemetryRecord } from '../../src/telemetry/telemetry.js';

describe('relay telemetry', () => {
  it('records each relay step as a metric of a closed vocabulary, whatever a caller passes', () => {
    const records: TelemetryRecord[] = [];
    const telemetry = createTelemetry({ sinks: [{ emit: (r) => void records.push(r), flush: async () => undefined }], agents: [], tools: [], clock: { now: () => 0, monotonic: () => 0 } });
    telemetry.relay({ op: 'send', kind: 'sse', outcome: 'sent', ms: 12.6 });
    telemetry.relay({ op: 'receive', kind: 'answer', ms: -5 });
    telemetry.relay({ op: 'refused', reason: 'signature' });
    telemetry.relay({ op: 'failed', kind: 'cancel', reason: 'poll' });
    // Values no caller should pass: a URL as kind, a secret as reason, a non-number as duration.
    telemetry.relay({ op: 'send', kind: 'https://acct.queue.core.windows.net/mcp-0123?sig=SECRET', ms: Number.NaN } as RelayFacts);
    telemetry.relay({ op: 'refused', kind: 'sse', reason: 'token=SECRET' } as unknown as RelayFacts);
    expect(records.map((r) => (r.type === 'metric' ? [r.name, r.value, r.properties] : r.type))).toEqual([
      ['relay send ms', 13, { kind: 'sse', outcome: 'sent' }],
      ['relay latency ms', 0, { kind: 'answer' }],
      ['relay refused', 1, { kind: 'other', reason: 'signature' }],
      ['relay failed', 1, { kind: 'cancel', reason: 'poll' }],
      ['relay send ms', 0, { kind: 'other' }],
      ['relay refused', 1, { kind: 'sse', reason: 'other' }],
    ]);
    expect(JSON.stringify(records)).not.toMatch(/SECRET|https:/);
    // Nothing listens: nothing is done.
    expect(() => noTelemetry.relay({ op: 'send' })).not.toThrow();
  });
});
