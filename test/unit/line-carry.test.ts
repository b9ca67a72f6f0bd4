import { describe, expect, it } from 'vitest';
import { LineCarry } from '../../shared/text/line-carry.js';

const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('latin1'));

describe('LineCarry', () => {
  it('holds a copy of the cut line and completes it from the next chunk', () => {
    // Prepare
    const carry = new LineCarry(100);
    const first = Buffer.from('abc\ndef');
    carry.append(first, 4, first.length);
    first.fill(0x21);
    // Act
    const next = Buffer.from('gh\nrest');
    const pos = carry.continueWith(next);
    const line = carry.take();
    // Assess
    expect(pos).toBe(3);
    expect(text(line.bytes)).toBe('defgh');
    expect(line.length).toBe(5);
    expect(carry.isHolding).toBe(false);
  });

  it('appends a chunk without a line break whole and says so', () => {
    const carry = new LineCarry(100);
    carry.append(Buffer.from('ab'), 0, 2);
    expect(carry.continueWith(Buffer.from('cd'))).toBe(-1);
    expect(carry.continueWith(Buffer.from('e\n'))).toBe(2);
    expect(text(carry.take().bytes)).toBe('abcde');
  });

  it('follows the line with the spare line feeds asked for, outside its length', () => {
    const carry = new LineCarry(100);
    carry.append(Buffer.from('xy'), 0, 2);
    const one = carry.take(1);
    expect(text(one.bytes)).toBe('xy\n');
    expect(one.length).toBe(2);
    carry.append(Buffer.from('p'), 0, 1);
    carry.append(Buffer.from('q'), 0, 1);
    expect(text(carry.take(2).bytes)).toBe('pq\n\n');
  });

  it('keeps one byte over the cap (a \\r before the line break), and only counts a longer line', () => {
    const carry = new LineCarry(4);
    carry.append(Buffer.from('abcd\r'), 0, 5);
    expect(text(carry.take().bytes)).toBe('abcd\r');
    carry.append(Buffer.from('abc'), 0, 3);
    carry.append(Buffer.from('def'), 0, 3);
    expect(carry.isHolding).toBe(true);
    carry.append(Buffer.alloc(1000), 0, 1000);
    expect(carry.take(1)).toEqual({ bytes: null, length: 1006 });
    expect(carry.isHolding).toBe(false);
  });
});
