import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../shared/text/line-splitter.js';

function split(chunks: Buffer[], maxLineBytes = 65536) {
  const lines: string[] = [];
  const tooLong: [number, number][] = [];
  const s = new LineSplitter((b, a, e, n) => lines.push(`${n}:${Buffer.from(b.subarray(a, e)).toString()}`), {
    maxLineBytes,
    onTooLong: (n, bytes) => tooLong.push([n, bytes]),
  });
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, tooLong };
}

describe('LineSplitter', () => {
  it('splits on LF, strips CR, numbers lines and flushes a last line without newline', () => {
    expect(split([Buffer.from('a\r\nbb\n\nccc')]).lines).toEqual(['1:a', '2:bb', '3:', '4:ccc']);
  });

  it('gives the same lines whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z ]{0,12}$/), { maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        (ls, step) => {
          const text = ls.join('\n');
          const whole = split([Buffer.from(text)]).lines;
          const buf = Buffer.from(text);
          const parts: Buffer[] = [];
          for (let i = 0; i < buf.length; i += step) parts.push(buf.subarray(i, i + step));
          expect(split(parts).lines).toEqual(whole);
        },
      ),
    );
  });

  it('skips an over-long line spread over many chunks without buffering it', () => {
    const chunks = [
      Buffer.from('ok\nxxxx'),
      ...Array.from({ length: 100 }, () => Buffer.alloc(1000, 0x78)),
      Buffer.from('x\nnext\n'),
    ];
    const r = split(chunks, 100);
    expect(r.lines).toEqual(['1:ok', '3:next']);
    expect(r.tooLong).toEqual([[2, 100_005]]);
  });

  it('reports an over-long line inside one chunk', () => {
    const r = split([Buffer.from(`${'y'.repeat(50)}\nshort\n`)], 10);
    expect(r.tooLong).toEqual([[1, 50]]);
    expect(r.lines).toEqual(['2:short']);
  });

  it('strips a CR whose LF arrives in the next chunk, and keeps a lone CR inside a line', () => {
    expect(split([Buffer.from('a\r'), Buffer.from('\nb\rc\n')]).lines).toEqual(['1:a', '2:b\rc']);
  });

  it('accepts a line of exactly the cap, with or without CR, in one chunk or across chunks', () => {
    const line = 'z'.repeat(10);
    const text = `${line}\r\n${line}\n${line}z\n`;
    const whole = split([Buffer.from(text)], 10);
    expect(whole.lines).toEqual([`1:${line}`, `2:${line}`]);
    expect(whole.tooLong).toEqual([[3, 11]]);
    const bytes = Buffer.from(text);
    const oneByOne = split(
      [...bytes].map((b) => Buffer.from([b])),
      10,
    );
    expect(oneByOne.lines).toEqual(whole.lines);
    expect(oneByOne.tooLong.map(([n]) => n)).toEqual([3]);
  });

  it('copies a held line, so the caller may reuse chunk memory', () => {
    const chunk = Buffer.from('abc');
    const lines: string[] = [];
    const s = new LineSplitter((b, a, e) => lines.push(Buffer.from(b.subarray(a, e)).toString()));
    s.push(chunk);
    chunk.fill(0x21);
    s.push(Buffer.from('def\n'));
    expect(lines).toEqual(['abcdef']);
  });

  it('skips a 256 MiB line without holding it', () => {
    const mib = Buffer.alloc(1024 * 1024, 0x41);
    const tooLong: number[] = [];
    const lines: string[] = [];
    const s = new LineSplitter((b, a, e) => lines.push(Buffer.from(b.subarray(a, e)).toString()), {
      maxLineBytes: 4096,
      onTooLong: (_, bytes) => tooLong.push(bytes),
    });
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    for (let i = 0; i < 256; i++) {
      s.push(mib);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    s.push(Buffer.from('\nnext\n'));
    expect(tooLong).toEqual([256 * 1024 * 1024]);
    expect(lines).toEqual(['next']);
    expect(peak - before).toBeLessThan(16 * 1024 * 1024);
  });
});
