import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { PathGuardError } from '../../shared/errors.js';
import {
  type ObjectStore,
  type PutCondition,
  type StoredJson,
  WriteConflictError,
} from '../../shared/ports/index.js';
import type { PlannedProbe } from '../../shared/probes/plan.js';
import { AwsCallError } from './retry.js';

/**
 * The results bucket as an ObjectStore. Shared mutable objects (alert state, checkpoints) are
 * written with S3 conditional writes: `If-Match` for updates, `If-None-Match: *` for creation; a
 * lost race (412 PreconditionFailed, 409 ConditionalRequestConflict) is a WriteConflictError the
 * caller retries (see updateJson).
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {}

  async getJson<T>(key: string): Promise<StoredJson<T> | null> {
    let text: string;
    let etag: string;
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
      etag = out.ETag ?? '';
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return null;
      throw new AwsCallError(`S3 GetObject s3://${this.bucket}/${this.prefix}${key}`, e);
    }
    try {
      return { value: JSON.parse(text) as T, etag };
    } catch {
      throw new PathGuardError('STORE_NOT_JSON', `s3://${this.bucket}/${this.prefix}${key} is not JSON`, {
        key,
      });
    }
  }

  async putJson(key: string, value: unknown, condition?: PutCondition): Promise<{ etag: string }> {
    return this.put(key, Buffer.from(JSON.stringify(value)), 'application/json', condition);
  }

  async putBytes(key: string, body: Uint8Array, contentType: string): Promise<{ etag: string }> {
    return this.put(key, body, contentType);
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const out = await sendS3(`S3 ListObjectsV2 s3://${this.bucket}/${this.prefix}${prefix}`, () =>
        this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ...(token
              ? { ContinuationToken: token }
              : startAfter
                ? { StartAfter: this.prefix + startAfter }
                : {}),
          }),
        ),
      );
      for (const o of out.Contents ?? []) if (o.Key) yield o.Key.slice(this.prefix.length);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  private async put(
    key: string,
    body: Uint8Array,
    contentType: string,
    condition?: PutCondition,
  ): Promise<{ etag: string }> {
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Body: body,
          ContentType: contentType,
          ...(condition?.ifMatch ? { IfMatch: condition.ifMatch } : {}),
          ...(condition?.ifNoneMatch ? { IfNoneMatch: condition.ifNoneMatch } : {}),
        }),
      );
      return { etag: out.ETag ?? '' };
    } catch (e) {
      const status = e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
      const name = (e as { name?: string }).name;
      if (
        status === 412 ||
        status === 409 ||
        name === 'PreconditionFailed' ||
        name === 'ConditionalRequestConflict'
      ) {
        throw new WriteConflictError(key);
      }
      throw new AwsCallError(`S3 PutObject s3://${this.bucket}/${this.prefix}${key}`, e);
    }
  }
}

async function sendS3<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw new AwsCallError(operation, e);
  }
}

export interface UpdateJsonOptions {
  /** Retries after a lost race (the first try not counted). @default 5 */
  retries?: number;
  /** Backoff between tries (random, doubling from ~50 ms). Injected by tests. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Read-modify-write of a shared JSON object with optimistic concurrency: read it with its ETag,
 * apply `fn` to the current value (null when absent), write with If-Match (If-None-Match `*` when
 * absent), and on a lost race read again and re-apply `fn` to the winner's value. Two overlapping
 * runs therefore never lose an update, provided `fn` is a pure function of the value it is given
 * (it may run several times). After `retries` lost races the WriteConflictError is thrown.
 */
export async function updateJson<T>(
  store: ObjectStore,
  key: string,
  fn: (current: T | null) => T,
  opts: UpdateJsonOptions = {},
): Promise<T> {
  const retries = opts.retries ?? 5;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    const cur = await store.getJson<T>(key);
    const next = fn(cur?.value ?? null);
    try {
      await store.putJson(key, next, cur ? { ifMatch: cur.etag } : { ifNoneMatch: '*' });
      return next;
    } catch (e) {
      if (!(e instanceof WriteConflictError) || attempt >= retries) throw e;
      await sleep(Math.random() * 50 * 2 ** attempt);
    }
  }
}

/** Creates a probe object (64 random bytes) at its planned key in its target bucket. */
export async function putProbeObject(
  s3: S3Client,
  p: Pick<PlannedProbe, 'bucket' | 'key' | 'body'>,
): Promise<void> {
  await sendS3(`S3 PutObject s3://${p.bucket}/${p.key}`, () =>
    s3.send(
      new PutObjectCommand({
        Bucket: p.bucket,
        Key: p.key,
        Body: p.body,
        ContentType: 'application/octet-stream',
      }),
    ),
  );
}
