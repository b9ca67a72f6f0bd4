import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../shared/ports/index.js';
import type { AnalysisReader } from '../lib/report-input.js';
import { AwsCallError } from './retry.js';

/** Reads the results bucket: listings through the store, bytes through GetObject (digests need the bytes as stored). */
export class BucketReader implements AnalysisReader {
  readonly name: string;
  /**
   * `readable`: the key prefixes (or keys) read; others are absent (a role may read nothing else).
   * `keyPrefix`: the store's own prefix (a member's folder), which its keys leave out.
   */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly store: ObjectStore,
    private readonly readable: readonly string[] | null = null,
    private readonly keyPrefix = '',
  ) {
    this.name = keyPrefix ? `s3://${bucket}/${keyPrefix}` : `s3://${bucket}`;
  }

  list(prefix: string): AsyncIterable<string> {
    return this.store.list(prefix);
  }

  async read(key: string): Promise<Buffer | null> {
    if (this.readable && !this.readable.some((p) => key.startsWith(p))) return null;
    try {
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key }),
      );
      return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return null;
      throw new AwsCallError(`S3 GetObject s3://${this.bucket}/${this.keyPrefix}${key}`, e);
    }
  }
}
