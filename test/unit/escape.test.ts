import { describe, expect, it } from 'vitest';
import { parseError } from '../../shared/result.js';
import { displayText, escapeControlChars } from '../../shared/text/escape.js';
import { RejectCounter } from '../../shared/text/rejects.js';

describe('escapeControlChars', () => {
  it('writes C0, DEL, C1 and line separators as JSON escapes and leaves the rest', () => {
    expect(escapeControlChars('run 1\n2026-01-01 forged\r\t\u001b[2J\u0007\u007f\u009b31m\u2028é✓')).toBe(
      'run 1\\n2026-01-01 forged\\r\\t\\u001b[2J\\u0007\\u007f\\u009b31m\\u2028é✓',
    );
    const plain = 'nothing to do: 100% "quoted" \\ back';
    expect(escapeControlChars(plain)).toBe(plain);
  });

  it('keeps a JSON line valid JSON with the same value', () => {
    const value = { s: 'a\u007fb\u0085c\u2029' };
    const line = escapeControlChars(JSON.stringify(value));
    expect(line).not.toMatch(/[\u007f-\u009f\u2028\u2029]/);
    expect(JSON.parse(line)).toEqual(value);
  });
});

describe('displayText', () => {
  it('redacts before escaping, so a name split by a line break is still found', () => {
    expect(displayText('GET https://b/k?X-Amz-Sig\nnature=abcdef0123 failed')).toBe(
      'GET https://b/k?X-Amz-Sig\\nnature=REDACTED failed',
    );
  });

  it('is what reject samples hold: input quoted in a reason reaches no terminal raw', () => {
    const rejects = new RejectCounter();
    rejects.add(
      'in\u001b[2J.log',
      3,
      parseError('BAD_JSON', `Unexpected token \u001b]0;owned\u0007 ${'x'.repeat(500)}`),
    );
    const [summary, sample] = rejects.format();
    expect(summary).toBe('rejected 1 (BAD_JSON 1)');
    expect(sample).toMatch(
      /^ {2}in\\u001b\[2J\.log:3: BAD_JSON: Unexpected token \\u001b\]0;owned\\u0007 x+…$/,
    );
    expect(sample!.length).toBeLessThan(260);
  });
});
