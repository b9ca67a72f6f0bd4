import { createHash } from 'node:crypto';
import {
  headerOf,
  noSuchKey,
  notImplemented,
  preconditionFailed,
  type S3Reply,
  type S3Request,
} from '../exchange.js';
import { type StoredObject, storeObject } from '../store.js';

/** Whether an `If-Match` / `If-None-Match` list (`"a", "b"` or `*`) holds the ETag. */
function etagListHas(list: string, etag: string): boolean {
  return list.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || `"${v}"` === etag || v.replace(/^W\//, '') === etag;
  });
}

const lastModified = (o: StoredObject): string => o.lastModified.toUTCString();

/** The key of an object route (the table sends only object requests here). */
function keyOf(req: S3Request): string {
  if (req.key === null) throw new Error('lab S3: an object handler was given a bucket request');
  return req.key;
}

/** GetObject and HeadObject (the reply drops the body of a HEAD): `If-Match`, `If-None-Match`. */
export function getObject(req: S3Request, reply: S3Reply): void {
  const key = keyOf(req);
  const existing = req.bucket.objects.get(key);
  if (!existing) {
    noSuchKey(reply, key);
    return;
  }
  reply.setObjectSize(existing.body.length);
  const ifMatch = headerOf(req.headers, 'if-match');
  const ifNoneMatch = headerOf(req.headers, 'if-none-match');
  if (ifMatch !== undefined && !etagListHas(ifMatch, existing.etag)) {
    preconditionFailed(reply, 'If-Match');
    return;
  }
  if (ifNoneMatch !== undefined && etagListHas(ifNoneMatch, existing.etag)) {
    reply.send(304, { etag: existing.etag, 'last-modified': lastModified(existing) });
    return;
  }
  const headers: Record<string, string | number> = {
    etag: existing.etag,
    'last-modified': lastModified(existing),
    'content-type': existing.contentType,
    'content-length': existing.body.length,
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of existing.metadata) headers[`x-amz-meta-${k}`] = v;
  reply.send(200, headers, existing.body);
}

/**
 * Whether a PutObject's conditions hold (`If-None-Match: *` only, `If-Match`), answering the
 * failure when not. CopyObject is not implemented.
 */
function putPreconditionsHold(req: S3Request, reply: S3Reply, existing: StoredObject | undefined): boolean {
  if (headerOf(req.headers, 'x-amz-copy-source') !== undefined) {
    notImplemented(reply, 'x-amz-copy-source');
    return false;
  }
  const ifMatch = headerOf(req.headers, 'if-match');
  const ifNoneMatch = headerOf(req.headers, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    notImplemented(reply, 'If-None-Match');
    return false;
  }
  if (ifNoneMatch !== undefined && existing) {
    preconditionFailed(reply, 'If-None-Match');
    return false;
  }
  if (ifMatch !== undefined) {
    if (!existing) {
      noSuchKey(reply, keyOf(req));
      return false;
    }
    if (!etagListHas(ifMatch, existing.etag)) {
      preconditionFailed(reply, 'If-Match');
      return false;
    }
  }
  return true;
}

/** PutObject: conditional writes, `Content-MD5` and `x-amz-checksum-sha256`, user metadata; MD5 ETags. */
export function putObject(req: S3Request, reply: S3Reply): void {
  const key = keyOf(req);
  if (!putPreconditionsHold(req, reply, req.bucket.objects.get(key))) return;
  const md5 = headerOf(req.headers, 'content-md5');
  if (md5 !== undefined && md5 !== createHash('md5').update(req.body).digest('base64')) {
    reply.fail(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    return;
  }
  // A presigned upload signs its checksum as a header (functions/aws/presigner.ts): S3 recomputes
  // it over the bytes received and refuses any difference.
  const sha256 = headerOf(req.headers, 'x-amz-checksum-sha256');
  if (sha256 !== undefined && sha256 !== createHash('sha256').update(req.body).digest('base64')) {
    reply.fail(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    return;
  }
  const metadata = new Map<string, string>();
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith('x-amz-meta-') && v !== undefined)
      metadata.set(k.slice(11), Array.isArray(v) ? v.join(',') : v);
  }
  const contentType = headerOf(req.headers, 'content-type') ?? 'binary/octet-stream';
  const o = storeObject(req.bucket, key, req.body, contentType, metadata, req.now());
  reply.setObjectSize(req.body.length);
  reply.send(200, {
    etag: o.etag,
    ...(sha256 !== undefined ? { 'x-amz-checksum-sha256': sha256 } : {}),
    'content-length': 0,
  });
}

/** DeleteObject: 204 whether or not the key existed, as S3 answers on an unversioned bucket. */
export function deleteObject(req: S3Request, reply: S3Reply): void {
  req.bucket.objects.delete(keyOf(req));
  reply.send(204, {});
}
