// Object bodies that may be gzip: S3 log deliveries (flow logs, access logs, CloudTrail). No AWS
// SDK here, so worker threads can use it.
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Decompresses gzip (detected by its magic bytes, 1f 8b), passes anything else through. */
export async function* gunzipIfGzip(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = chunks[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const r = await it.next();
    if (r.done) break;
    head = Buffer.concat([head, r.value]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (!(head[0] === 0x1f && head[1] === 0x8b)) {
    yield* rest();
    return;
  }
  // pipeline destroys the gunzip stream with the source's error, so a failed read surfaces here.
  const gunzip = pipeline(Readable.from(rest()), createGunzip(), () => {});
  for await (const c of gunzip) yield c as Buffer;
}

/** Whether an error is zlib's (a damaged or truncated gzip), not the byte source's. */
export function isZlibError(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code ?? '';
  return code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED';
}
