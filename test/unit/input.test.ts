import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputReadError, openInput, SNIFF_LIMIT_BYTES } from '../../functions/lib/input.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(name: string, stdin?: Readable, reuseBuffers = false) {
  const opened = await openInput(name, stdin, { reuseBuffers });
  const parts: Buffer[] = [];
  // Copy: with reuseBuffers a chunk is valid only until the next one is requested.
  for await (const c of opened.chunks) parts.push(Buffer.from(c));
  return { opened, text: Buffer.concat(parts).toString() };
}

describe('openInput', () => {
  it('reads plain files as they are', async () => {
    const f = join(dir, 'plain.gz');
    writeFileSync(f, '  {"a":1}\n');
    const { opened, text } = await readAll(f);
    expect(opened.encoding).toBe('plain');
    expect(opened.firstByte).toBe('{'.charCodeAt(0));
    expect(text).toBe('  {"a":1}\n');
  });

  it('detects gzip by magic bytes whatever the name', async () => {
    const f = join(dir, 'looks-plain.txt');
    writeFileSync(f, gzipSync(Buffer.from('hello\nworld\n')));
    const { opened, text } = await readAll(f);
    expect(opened.encoding).toBe('gzip');
    expect(text).toBe('hello\nworld\n');
  });

  it('reads stdin, including a gzip stream split into 1-byte chunks', async () => {
    const gz = gzipSync(Buffer.from('from stdin\n'));
    const stdin = Readable.from([...gz].map((b) => Buffer.from([b])));
    const { opened, text } = await readAll('-', stdin);
    expect(opened.name).toBe('-');
    expect(text).toBe('from stdin\n');
  });

  it('reads gzip files of several members (concatenated .gz)', async () => {
    const f = join(dir, 'multi.gz');
    writeFileSync(f, Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]));
    expect((await readAll(f)).text).toBe('a\nb\n');
  });

  it('fails on a truncated gzip with an error naming the file', async () => {
    const f = join(dir, 'cut.gz');
    const gz = gzipSync(Buffer.alloc(200_000, 0x61));
    writeFileSync(f, gz.subarray(0, gz.length - 8));
    await expect(readAll(f)).rejects.toThrow(InputReadError);
    await expect(readAll(f)).rejects.toThrow(/cut\.gz: truncated gzip/);
  });

  it('fails on a missing file or a directory', async () => {
    await expect(openInput(join(dir, 'missing'))).rejects.toThrow(/missing: no such file/);
    await expect(openInput(dir)).rejects.toThrow(/is a directory/);
  });

  it('handles empty input', async () => {
    const f = join(dir, 'empty');
    writeFileSync(f, '');
    const { opened, text } = await readAll(f);
    expect(opened.firstByte).toBe(-1);
    expect(text).toBe('');
  });

  it('reads a plain file through two reused buffers, whole and in order', async () => {
    const f = join(dir, 'big.log');
    const text = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 80)}`).join('\n');
    writeFileSync(f, text);
    const opened = await openInput(f, undefined, { reuseBuffers: true });
    expect(opened.encoding).toBe('plain');
    expect(opened.firstByte).toBe('l'.charCodeAt(0));
    const parts: Buffer[] = [];
    const memory: ArrayBufferLike[] = [];
    for await (const c of opened.chunks) {
      expect(c.length).toBeLessThanOrEqual(1024 * 1024);
      parts.push(Buffer.from(c));
      memory.push(c.buffer);
    }
    expect(Buffer.concat(parts).toString()).toBe(text);
    expect(memory.length).toBeGreaterThanOrEqual(3);
    // Chunks 1 and 3 share their memory: the documented "valid until the next chunk" contract.
    expect(memory[2]).toBe(memory[0]);
    expect(memory[1]).not.toBe(memory[0]);
  });

  it('with reused buffers still detects gzip by content and reports truncation', async () => {
    const f = join(dir, 'named-plain.log');
    writeFileSync(f, gzipSync(Buffer.from('2 123456789010 eni-1 - - - - - - - 1 2 - NODATA\n')));
    const { opened, text } = await readAll(f, undefined, true);
    expect(opened.encoding).toBe('gzip');
    expect(text).toContain('NODATA');
    const cut = join(dir, 'cut-reuse.log');
    const gz = gzipSync(Buffer.alloc(300_000, 0x61));
    writeFileSync(cut, gz.subarray(0, gz.length - 8));
    await expect(readAll(cut, undefined, true)).rejects.toThrow(/cut-reuse\.log: truncated gzip/);
  });

  it('with reused buffers finds the first byte after more than a buffer of blanks', async () => {
    const f = join(dir, 'blank-start.json');
    writeFileSync(f, `${' '.repeat(1024 * 1024 + 10)}{"events":[]}`);
    const { opened, text } = await readAll(f, undefined, true);
    expect(opened.firstByte).toBe('{'.charCodeAt(0));
    expect(text.trim()).toBe('{"events":[]}');
  });

  it('stops early without error when the consumer breaks off', async () => {
    const f = join(dir, 'early.log');
    writeFileSync(f, Buffer.alloc(3 * 1024 * 1024, 0x61));
    const opened = await openInput(f, undefined, { reuseBuffers: true });
    let seen = 0;
    for await (const c of opened.chunks) {
      seen += c.length;
      break;
    }
    expect(seen).toBe(1024 * 1024);
  });

  it('sniffs the format within a bounded prefix: a whitespace bomb is read as text, not held', async () => {
    // 64 MiB of spaces, then a '{': held whole, this was 64 MiB of buffers before the first chunk.
    let pulled = 0;
    async function* bomb() {
      const spaces = Buffer.alloc(256 * 1024, 0x20);
      for (let i = 0; i < 256; i++) {
        pulled += spaces.length;
        yield spaces;
      }
      yield Buffer.from('{"events":[]}');
    }
    const opened = await openInput('-', Readable.from(bomb()));
    expect(opened.firstByte).toBe(-1);
    expect(pulled).toBeLessThanOrEqual(SNIFF_LIMIT_BYTES + 256 * 1024);
    let bytes = 0;
    for await (const c of opened.chunks) bytes += c.length;
    expect(bytes).toBe(64 * 1024 * 1024 + 13);
  });
});
