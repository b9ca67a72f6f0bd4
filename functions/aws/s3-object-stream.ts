import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PathGuardError } from '../../shared/errors.js';
import { AwsCallError, isRetryable } from './retry.js';

export interface ObjectStreamOptions {
  /** Resumptions after the body broke off mid-way. @default 3 */
  readonly resumes?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The object changed while it was being read (its ETag no longer matches). */
export class ObjectChangedError extends PathGuardError {
  constructor(bucket: string, key: string) {
    super('OBJECT_CHANGED', `s3://${bucket}/${key} was replaced while it was being read`, { bucket, key });
  }
}

/** A body stream that broke: zlib and parse errors are not worth a retry, socket faults are. */
function bodyFault(e: unknown): boolean {
  return isRetryable(e) || (e as { code?: string })?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/**
 * The bytes of one S3 object, streamed with constant memory. A request failure is retried by the
 * client itself; a body that breaks off mid-way (a reset or an idle timeout while streaming, which
 * the client's retry cannot see) is resumed where it stopped with a ranged GET pinned to the
 * object's ETag (`If-Match`), so no byte is read twice or lost. If the object was replaced
 * meanwhile, {@link ObjectChangedError}. A persistent failure: {@link AwsCallError}.
 */
export async function* s3ObjectBytes(
  s3: S3Client,
  bucket: string,
  key: string,
  opts: ObjectStreamOptions = {},
): AsyncGenerator<Buffer> {
  const resumes = opts.resumes ?? 3;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let offset = 0;
  let etag: string | undefined;
  for (let attempt = 0; ; attempt++) {
    let body: AsyncIterable<Uint8Array> | undefined;
    try {
      const out = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}),
          ...(etag ? { IfMatch: etag } : {}),
        }),
      );
      etag ??= out.ETag;
      body = out.Body as AsyncIterable<Uint8Array> | undefined;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (etag && status === 412) throw new ObjectChangedError(bucket, key);
      throw new AwsCallError(`S3 GetObject s3://${bucket}/${key}`, e);
    }
    if (!body) return;
    try {
      for await (const chunk of body) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        offset += buf.length;
        yield buf;
      }
      return;
    } catch (e) {
      if (!bodyFault(e) || attempt >= resumes) {
        throw new AwsCallError(
          `S3 GetObject s3://${bucket}/${key} (body, at byte ${offset})`,
          e,
          attempt + 1,
        );
      }
      await sleep(Math.random() * 200 * 2 ** attempt);
    }
  }
}
