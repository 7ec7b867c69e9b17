import { describe, expect, it } from 'vitest';

import { contentDisposition } from '../../src/http/handleFile.js';

describe('download file names (RFC 6266 / RFC 8187)', () => {
  it('keeps UTF-8 names, neutralises quotes, slashes and line breaks, and survives lone surrogates', () => {
    expect(contentDisposition('Preisliste 😀.pdf')).toBe(`attachment; filename="Preisliste __.pdf"; filename*=UTF-8''Preisliste%20%F0%9F%98%80.pdf`);
    expect(contentDisposition('a"b/c\\d\r\ne.txt')).toBe(`attachment; filename="a_b_c_d__e.txt"; filename*=UTF-8''a_b_c_d__e.txt`);
    expect(contentDisposition('x\ud800y')).toBe(`attachment; filename="x_y"; filename*=UTF-8''x_y`);
    // A pair cut at the 200-character limit is not left half.
    expect(() => contentDisposition(`${'a'.repeat(199)}😀`)).not.toThrow();
    expect(contentDisposition('')).toContain('filename="document"');
  });
});
