import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputReadError, openInput } from '../../functions/lib/input.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(name: string, stdin?: Readable) {
  const opened = await openInput(name, stdin);
  const parts: Buffer[] = [];
  for await (const c of opened.chunks) parts.push(c);
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
});
