import { createHash } from 'node:crypto';
import type { LabBucketConfig } from './types.js';

/** One object as the lab keeps it in memory. */
export interface StoredObject {
  readonly body: Buffer;
  /** The quoted MD5 hex of the body, as S3 gives single-part uploads. */
  readonly etag: string;
  readonly contentType: string;
  readonly lastModified: Date;
  /** User metadata (`x-amz-meta-*`), names lower-cased without the prefix. */
  readonly metadata: ReadonlyMap<string, string>;
}

/** One bucket: its configuration, Region and objects. */
export interface LabBucket {
  readonly config: LabBucketConfig;
  readonly region: string;
  readonly objects: Map<string, StoredObject>;
}

/** Byte-order comparison of keys as S3 lists them (UTF-8 binary), not JavaScript's UTF-16 order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Stores (or replaces) an object, stamped at `at`, and returns what was stored. */
export function storeObject(
  bucket: LabBucket,
  key: string,
  body: Buffer,
  contentType: string,
  metadata: ReadonlyMap<string, string>,
  at: Date,
): StoredObject {
  const o: StoredObject = {
    body,
    etag: `"${createHash('md5').update(body).digest('hex')}"`,
    contentType,
    // S3 keeps whole seconds in Last-Modified.
    lastModified: new Date(Math.floor(at.getTime() / 1000) * 1000),
    metadata,
  };
  bucket.objects.set(key, o);
  return o;
}
