import type { S3Reply, S3Request } from '../exchange.js';
import { compareKeys, type LabBucket } from '../store.js';
import { type ListedObject, listObjectsV2Xml } from '../xml.js';

/** HeadBucket: 200 with the bucket's Region. */
export function headBucket(req: S3Request, reply: S3Reply): void {
  reply.send(200, { 'x-amz-bucket-region': req.bucket.region });
}

/** Whether a bucket GET is a ListObjectsV2 (`list-type=2`); the lab has no ListObjects v1. */
export function isListObjectsV2(req: S3Request): boolean {
  return req.params.some(([k, v]) => k === 'list-type' && v === '2');
}

/** The validated arguments of a ListObjectsV2. */
interface ListArgs {
  readonly prefix: string;
  readonly delimiter: string | null;
  readonly startAfter: string | null;
  readonly token: string | null;
  readonly encodingType: 'url' | null;
  readonly maxKeys: number;
  /** Keys after this one (start-after or the continuation token's last key); '' for all. */
  readonly after: string;
}

/** The arguments of a ListObjectsV2, or false once the error is answered. */
function listArgsOf(params: readonly [string, string][], reply: S3Reply): ListArgs | false {
  const get = (name: string) => params.find(([k]) => k === name)?.[1];
  const prefix = get('prefix') ?? '';
  const delimiter = get('delimiter') ?? null;
  const startAfter = get('start-after') ?? null;
  const token = get('continuation-token') ?? null;
  const encodingType = get('encoding-type');
  const maxText = get('max-keys');
  if (encodingType !== undefined && encodingType !== 'url') {
    reply.fail(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request', [
      ['ArgumentName', 'encoding-type'],
      ['ArgumentValue', encodingType],
    ]);
    return false;
  }
  const maxKeys = maxText === undefined ? 1000 : /^\d+$/.test(maxText) ? Math.min(1000, Number(maxText)) : -1;
  if (maxKeys < 0) {
    reply.fail(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range', [
      ['ArgumentName', 'max-keys'],
      ['ArgumentValue', maxText ?? ''],
    ]);
    return false;
  }
  let after = startAfter ?? '';
  if (token !== null) {
    // The token is opaque to clients; the lab's is the last key returned, base64url-encoded.
    const decoded = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : null;
    if (decoded === null || decoded === '') {
      reply.fail(400, 'InvalidArgument', 'The continuation token provided is incorrect', [
        ['ArgumentName', 'continuation-token'],
      ]);
      return false;
    }
    after = decoded;
  }
  return {
    prefix,
    delimiter,
    startAfter,
    token,
    encodingType: encodingType === 'url' ? 'url' : null,
    maxKeys,
    after,
  };
}

/** One page of a listing: objects, common prefixes, and the last key looked at when truncated. */
function listPage(bucket: LabBucket, args: ListArgs) {
  const { prefix, delimiter, after, maxKeys } = args;
  const keys = [...bucket.objects.keys()]
    .filter((k) => k.startsWith(prefix) && (after === '' || compareKeys(k, after) > 0))
    .sort(compareKeys);
  const contents: ListedObject[] = [];
  const commonPrefixes: string[] = [];
  let last: string | null = null;
  let truncated = false;
  for (const k of keys) {
    let entry: string | null = null;
    if (delimiter !== null && delimiter !== '') {
      const d = k.indexOf(delimiter, prefix.length);
      if (d !== -1) entry = k.slice(0, d + delimiter.length);
    }
    // Keys rolled up into the common prefix already returned count once.
    if (entry !== null && commonPrefixes[commonPrefixes.length - 1] === entry) {
      last = k;
      continue;
    }
    if (contents.length + commonPrefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (entry !== null) commonPrefixes.push(entry);
    else {
      const o = bucket.objects.get(k)!;
      contents.push({ key: k, lastModified: o.lastModified, etag: o.etag, size: o.body.length });
    }
    last = k;
  }
  return { contents, commonPrefixes, nextAfter: truncated ? last : null };
}

/** ListObjectsV2: prefix, delimiter, start-after, continuation tokens, max-keys, encoding-type. */
export function listObjectsV2(req: S3Request, reply: S3Reply): void {
  const args = listArgsOf(req.params, reply);
  if (!args) return;
  const page = listPage(req.bucket, args);
  const xml = listObjectsV2Xml({
    bucket: req.bucket.config.name,
    prefix: args.prefix,
    delimiter: args.delimiter,
    maxKeys: args.maxKeys,
    startAfter: args.startAfter,
    continuationToken: args.token,
    nextContinuationToken:
      page.nextAfter === null ? null : Buffer.from(page.nextAfter, 'utf8').toString('base64url'),
    encodingType: args.encodingType,
    contents: page.contents,
    commonPrefixes: page.commonPrefixes,
  });
  reply.send(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }, xml);
}
