import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { formatAccessLogRecord } from '../../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../../shared/access-logs/types.js';
import { accessLogKeyField, accessLogObjectKey, newHostId, newRequestId } from './access-log.js';
import { s3TargetOf } from './hosts.js';
import {
  type AuthOutcome,
  authCoversRegion,
  LAB_S3_CREDENTIAL,
  type LabCredential,
  parseRawQuery,
  verifySigV4,
} from './sigv4.js';
import { errorXml, type ListedObject, listObjectsV2Xml } from './xml.js';

/** Where S3 would say a request came from: what the lab network tells the endpoint. */
export interface LabRequestOrigin {
  /** The access log's Remote IP: the address AWS would show, never a loopback one from the lab. */
  readonly remoteIp: string;
  /** The VPC endpoint the request came through (`aws:SourceVpce`), or null. */
  readonly vpcEndpointId: string | null;
  /** The VPC the request came from through that endpoint (`aws:SourceVpc`), or null. */
  readonly vpcId: string | null;
}

/** What a bucket policy hook decides on. */
export interface LabPolicyContext {
  readonly bucket: string;
  readonly key: string | null;
  /** The access log's Operation, e.g. `REST.GET.OBJECT`. */
  readonly operation: string;
  readonly principalArn: string;
  readonly origin: LabRequestOrigin;
}

/** A bucket policy, reduced to what the lab needs: true lets an authenticated request through. */
export type LabBucketPolicy = (ctx: LabPolicyContext) => boolean;

/**
 * The policy of a bucket reachable only through the given VPC endpoints: the lab's form of a
 * `Deny` with `StringNotEquals` on `aws:SourceVpce` (aws-facts §5.5). Requests from elsewhere get
 * 403 AccessDenied, which is how a preventive control shows as `blocked`.
 *
 * @example
 * startLabS3({ buckets: [{ name: 'data', policy: allowOnlyFromVpcEndpoints(['vpce-0d4d4d4d4d4d4d4d4']) }] });
 */
export function allowOnlyFromVpcEndpoints(vpcEndpointIds: readonly string[]): LabBucketPolicy {
  const allowed = new Set(vpcEndpointIds);
  return (ctx) => ctx.origin.vpcEndpointId !== null && allowed.has(ctx.origin.vpcEndpointId);
}

/** One bucket of the lab endpoint. */
export interface LabBucketConfig {
  readonly name: string;
  /** @default the endpoint's Region */
  readonly region?: string;
  /** Server access logging: log objects go to `targetBucket` under `targetPrefix` (simple prefix). */
  readonly logging?: { readonly targetBucket: string; readonly targetPrefix: string };
  readonly policy?: LabBucketPolicy;
}

/** Options of {@link startLabS3}. */
export interface LabS3Options {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Access keys the endpoint accepts. @default [LAB_S3_CREDENTIAL] */
  readonly credentials?: readonly LabCredential[];
  readonly buckets?: readonly LabBucketConfig[];
  /**
   * The Remote IP AWS would log for a connection; the lab network supplies it (see also
   * {@link LabS3.setOriginResolver}). @default the socket's own address
   */
  readonly remoteIpFor?: (socket: Socket) => string | null;
  /** The clock for expiry checks and log times. @default () => new Date() */
  readonly now?: () => Date;
  /** Canonical user id of the buckets' owner (the access log's Bucket Owner). */
  readonly ownerId?: string;
  /** Largest request body accepted. @default 64 MiB */
  readonly maxBodyBytes?: number;
  /**
   * Multi-Region Access Points the endpoint answers (`<alias>.accesspoint.s3-global.amazonaws.com`),
   * each routed to one of its buckets. @default none
   */
  readonly multiRegionAccessPoints?: readonly { readonly alias: string; readonly bucket: string }[];
}

/** A running lab S3 endpoint. */
export interface LabS3 {
  /** `http://127.0.0.1:<port>`: the endpoint override for `@aws-sdk/client-s3`. */
  readonly endpoint: string;
  readonly address: string;
  readonly port: number;
  readonly region: string;
  /** The first accepted key (the one SDK clients of the lab sign with). */
  readonly credential: LabCredential;
  readonly ownerId: string;
  createBucket(config: LabBucketConfig): void;
  /** Stores an object directly, as its owner would out of band (no request, no log line). */
  putObject(bucket: string, key: string, body: Uint8Array | string, contentType?: string): string;
  /** An object's bytes, read directly (no request, no log line), or undefined. */
  getObject(bucket: string, key: string): Buffer | undefined;
  /** Keys of a bucket in S3's (UTF-8 byte) order. */
  listKeys(bucket: string, prefix?: string): string[];
  /** Tells the endpoint where each connection comes from as AWS would see it (null: unknown). */
  setOriginResolver(resolve: ((socket: Socket) => LabRequestOrigin | null) | null): void;
  /** Every access log line written so far, delivered or not, in request order. */
  accessLogLines(bucket?: string): string[];
  /**
   * Delivers the pending access log lines: one object per logging target, keyed in the simple
   * prefix format, in the target bucket. Returns the `bucket/key` of each object written.
   */
  flushAccessLogs(): string[];
  /** Stops listening and ends open connections; resolves when the port is free again. */
  close(): Promise<void>;
}

const DEFAULT_OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly contentType: string;
  readonly lastModified: Date;
  readonly metadata: ReadonlyMap<string, string>;
}

interface Bucket {
  readonly config: LabBucketConfig;
  readonly region: string;
  readonly objects: Map<string, StoredObject>;
}

/** Byte-order comparison of keys as S3 lists them (UTF-8 binary), not JavaScript's UTF-16 order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function unmapped(address: string | undefined): string | null {
  if (address === undefined) return null;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Query parameters that select a sub-resource the lab does not serve (ACLs, tagging, uploads…). */
const PLAIN_PARAMS = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'start-after',
  'continuation-token',
  'encoding-type',
  'fetch-owner',
]);

function unsupportedSubresource(params: readonly [string, string][]): string | null {
  for (const [k] of params) {
    const lower = k.toLowerCase();
    if (lower.startsWith('x-') || PLAIN_PARAMS.has(lower)) continue;
    return k;
  }
  return null;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Decodes an `aws-chunked` body (a declared size per chunk, optional signatures and trailers). */
function decodeAwsChunked(body: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) return null;
    const sizeText = body.toString('latin1', at, eol).split(';')[0]!;
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return null;
    const size = Number.parseInt(sizeText, 16);
    at = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    if (at + size + 2 > body.length) return null;
    parts.push(body.subarray(at, at + size));
    at += size + 2;
  }
}

/**
 * Starts the lab's S3-compatible endpoint on 127.0.0.1: PutObject, GetObject, HeadObject,
 * DeleteObject, HeadBucket and ListObjectsV2 (prefix, delimiter, start-after, continuation,
 * max-keys), conditional requests (`If-Match`, `If-None-Match`), MD5 ETags, path-style and
 * virtual-hosted requests (the Host header names the bucket). Every request must carry a valid
 * SigV4 signature, in the Authorization header or a presigned query, checked with its expiry as S3
 * does; errors come as S3's XML bodies with S3's codes. Every response carries `x-amz-request-id`
 * and `x-amz-id-2`. Each request to a bucket with logging writes one server access log line in the
 * AWS format, delivered by {@link LabS3.flushAccessLogs} as objects of the target bucket.
 *
 * Objects live in memory; {@link LabS3.close} releases everything.
 *
 * @example
 * const s3 = await startLabS3({ buckets: [{ name: 'example-data-bucket' }] });
 * const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: s3.region, credentials: s3.credential });
 */
export async function startLabS3(opts: LabS3Options = {}): Promise<LabS3> {
  const region = opts.region ?? 'us-east-1';
  const credentials = opts.credentials ?? [LAB_S3_CREDENTIAL];
  if (credentials.length === 0) throw new Error('startLabS3: at least one credential is needed');
  const keys = new Map(credentials.map((c) => [c.accessKeyId, c]));
  const ownerId = opts.ownerId ?? DEFAULT_OWNER;
  const now = opts.now ?? (() => new Date());
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const buckets = new Map<string, Bucket>();
  const mraps = new Map((opts.multiRegionAccessPoints ?? []).map((m) => [m.alias, m.bucket]));
  const allLines: { bucket: string; line: string }[] = [];
  /** Pending lines per logging target `bucket\nprefix`. */
  const pending = new Map<string, string[]>();
  let resolveOrigin: ((socket: Socket) => LabRequestOrigin | null) | null = null;
  const sockets = new Set<Socket>();

  const createBucket = (config: LabBucketConfig): void => {
    if (buckets.has(config.name)) throw new Error(`startLabS3: bucket ${config.name} exists`);
    buckets.set(config.name, { config, region: config.region ?? region, objects: new Map() });
  };
  for (const b of opts.buckets ?? []) createBucket(b);

  const store = (
    bucket: Bucket,
    key: string,
    body: Buffer,
    contentType: string,
    metadata: ReadonlyMap<string, string>,
  ): StoredObject => {
    const o: StoredObject = {
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      contentType,
      // S3 keeps whole seconds in Last-Modified.
      lastModified: new Date(Math.floor(now().getTime() / 1000) * 1000),
      metadata,
    };
    bucket.objects.set(key, o);
    return o;
  };

  const originOf = (socket: Socket): LabRequestOrigin => {
    const told = resolveOrigin?.(socket) ?? null;
    if (told) return told;
    const ip = opts.remoteIpFor?.(socket) ?? unmapped(socket.remoteAddress) ?? '-';
    return { remoteIp: ip, vpcEndpointId: null, vpcId: null };
  };

  const writeLog = (bucket: Bucket, record: AccessLogRecord): void => {
    const logging = bucket.config.logging;
    if (!logging) return;
    const line = formatAccessLogRecord(record);
    allLines.push({ bucket: bucket.config.name, line });
    const target = `${logging.targetBucket}\n${logging.targetPrefix}`;
    const list = pending.get(target);
    if (list) list.push(line);
    else pending.set(target, [line]);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const startedMs = Date.now();
    const receivedAt = now();
    const requestId = newRequestId();
    const hostId = newHostId();
    const origin = originOf(req.socket);
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', hostId);
    res.setHeader('server', 'AmazonS3');

    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);
    const params = parseRawQuery(rawQuery);
    const target = s3TargetOf(header(req, 'host') ?? '', rawPath, mraps);

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(c as Buffer);
    }
    let body: Buffer = Buffer.concat(chunks);
    const bodySha256 = createHash('sha256').update(body).digest('hex');
    const respondedMs = { at: 0 };

    const auth: AuthOutcome = verifySigV4(
      { method, rawPath, rawQuery, headers: req.headers, bodySha256 },
      keys,
      now(),
    );
    const bucket = target.bucket === null ? undefined : buckets.get(target.bucket);
    const resource = target.key === null ? 'BUCKET' : 'OBJECT';
    const operation = `REST.${method}.${resource}`;

    let status = 200;
    let errorCode: string | null = null;
    let bytesSent = 0;
    let objectSize: number | null = null;

    const send = (
      code: number,
      headers: Record<string, string | number>,
      payload?: Buffer | string,
    ): void => {
      respondedMs.at = Date.now();
      status = code;
      res.writeHead(code, headers);
      if (payload === undefined || method === 'HEAD') {
        res.end();
        return;
      }
      const buf = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
      bytesSent = buf.length;
      res.end(buf);
    };
    const fail = (
      code: number,
      s3Code: string,
      message: string,
      details: readonly (readonly [string, string])[] = [],
    ): void => {
      errorCode = s3Code;
      const xml = errorXml(s3Code, message, details, requestId, hostId);
      // HEAD errors have no body; the status and request ids still tell the client what happened.
      send(
        code,
        {
          'content-type': 'application/xml',
          ...(method === 'HEAD' ? {} : { 'content-length': Buffer.byteLength(xml) }),
        },
        xml,
      );
    };

    if (bucket) {
      res.once('close', () => {
        const end = Date.now();
        const signed = auth.kind === 'signed';
        const authType = auth.kind === 'anonymous' ? null : auth.authType;
        writeLog(bucket, {
          bucketOwner: ownerId,
          bucket: bucket.config.name,
          time: receivedAt.toISOString(),
          remoteIp: origin.remoteIp,
          requester: signed ? auth.credential.principalArn : null,
          requestId,
          operation,
          key: target.key === null ? null : accessLogKeyField(target.key),
          requestUri: `${method} ${rawUrl} HTTP/${req.httpVersion}`,
          httpStatus: status,
          errorCode,
          bytesSent: bytesSent === 0 ? null : bytesSent,
          objectSize,
          totalTime: end - startedMs,
          turnAroundTime: respondedMs.at === 0 ? null : Math.max(0, respondedMs.at - startedMs),
          referer: header(req, 'referer') ?? null,
          userAgent: header(req, 'user-agent') ?? null,
          versionId: null,
          hostId,
          signatureVersion: authType === null ? null : 'SigV4',
          // The lab speaks plain HTTP: no cipher, no TLS version, as S3 logs for http requests.
          cipherSuite: null,
          authenticationType: authType,
          hostHeader: target.host === '' ? null : target.host,
          tlsVersion: null,
          accessPointArn: null,
          aclRequired: null,
          extra: [],
        });
      });
    }

    if (tooLarge) return fail(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    if (target.bucket === null)
      return fail(
        501,
        'NotImplemented',
        'A header you provided implies functionality that is not implemented',
      );
    if (!bucket) {
      return fail(404, 'NoSuchBucket', 'The specified bucket does not exist', [
        ['BucketName', target.bucket],
      ]);
    }
    if (auth.kind === 'error') return fail(auth.status, auth.code, auth.message, auth.details);
    if (auth.kind === 'anonymous') return fail(403, 'AccessDenied', 'Access Denied');
    if (!authCoversRegion(auth, bucket.region)) {
      const message = `the region '${auth.region}' is wrong; expecting '${bucket.region}'`;
      return auth.authType === 'QueryString'
        ? fail(
            400,
            'AuthorizationQueryParametersError',
            `Error parsing the X-Amz-Credential parameter; ${message}`,
            [['Region', bucket.region]],
          )
        : fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; ${message}`, [
            ['Region', bucket.region],
          ]);
    }
    const policy = bucket.config.policy;
    if (
      policy &&
      !policy({
        bucket: bucket.config.name,
        key: target.key,
        operation,
        principalArn: auth.credential.principalArn,
        origin,
      })
    ) {
      return fail(403, 'AccessDenied', 'Access Denied');
    }
    const sub = unsupportedSubresource(params);
    if (sub !== null) {
      return fail(
        501,
        'NotImplemented',
        'A header you provided implies functionality that is not implemented',
        [['Header', sub]],
      );
    }

    const contentSha = header(req, 'x-amz-content-sha256') ?? '';
    if (
      contentSha.startsWith('STREAMING-') ||
      (header(req, 'content-encoding') ?? '').includes('aws-chunked')
    ) {
      if (contentSha.startsWith('STREAMING-AWS4-HMAC-SHA256')) {
        // Chunk signatures are not checked by the lab; refuse rather than accept unverified bytes.
        return fail(501, 'NotImplemented', 'Signed aws-chunked payloads are not supported by this endpoint');
      }
      const decoded = decodeAwsChunked(body);
      if (!decoded) return fail(400, 'IncompleteBody', 'The request body terminated unexpectedly');
      body = decoded;
    }

    const lastModified = (o: StoredObject) => o.lastModified.toUTCString();

    if (target.key === null) {
      if (method === 'HEAD') return send(200, { 'x-amz-bucket-region': bucket.region });
      if (method === 'GET' && params.some(([k, v]) => k === 'list-type' && v === '2')) {
        return listV2(bucket, params, send, fail);
      }
      return fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', [
        ['Method', method],
        ['ResourceType', 'BUCKET'],
      ]);
    }

    const key = target.key;
    const existing = bucket.objects.get(key);
    if (method === 'GET' || method === 'HEAD') {
      if (!existing) return fail(404, 'NoSuchKey', 'The specified key does not exist.', [['Key', key]]);
      objectSize = existing.body.length;
      const ifMatch = header(req, 'if-match');
      const ifNoneMatch = header(req, 'if-none-match');
      if (ifMatch !== undefined && !etagListHas(ifMatch, existing.etag)) {
        return fail(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          [['Condition', 'If-Match']],
        );
      }
      if (ifNoneMatch !== undefined && etagListHas(ifNoneMatch, existing.etag)) {
        return send(304, { etag: existing.etag, 'last-modified': lastModified(existing) });
      }
      const headers: Record<string, string | number> = {
        etag: existing.etag,
        'last-modified': lastModified(existing),
        'content-type': existing.contentType,
        'content-length': existing.body.length,
        'accept-ranges': 'bytes',
      };
      for (const [k, v] of existing.metadata) headers[`x-amz-meta-${k}`] = v;
      return send(200, headers, existing.body);
    }
    if (method === 'PUT') {
      if (header(req, 'x-amz-copy-source') !== undefined) {
        return fail(
          501,
          'NotImplemented',
          'A header you provided implies functionality that is not implemented',
          [['Header', 'x-amz-copy-source']],
        );
      }
      const ifMatch = header(req, 'if-match');
      const ifNoneMatch = header(req, 'if-none-match');
      if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
        return fail(
          501,
          'NotImplemented',
          'A header you provided implies functionality that is not implemented',
          [['Header', 'If-None-Match']],
        );
      }
      if (ifNoneMatch !== undefined && existing) {
        return fail(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          [['Condition', 'If-None-Match']],
        );
      }
      if (ifMatch !== undefined) {
        if (!existing) return fail(404, 'NoSuchKey', 'The specified key does not exist.', [['Key', key]]);
        if (!etagListHas(ifMatch, existing.etag)) {
          return fail(
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
            [['Condition', 'If-Match']],
          );
        }
      }
      const md5 = header(req, 'content-md5');
      if (md5 !== undefined && md5 !== createHash('md5').update(body).digest('base64')) {
        return fail(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
      }
      const metadata = new Map<string, string>();
      for (const [k, v] of Object.entries(req.headers)) {
        if (k.startsWith('x-amz-meta-') && v !== undefined)
          metadata.set(k.slice(11), Array.isArray(v) ? v.join(',') : v);
      }
      const o = store(bucket, key, body, header(req, 'content-type') ?? 'binary/octet-stream', metadata);
      objectSize = body.length;
      return send(200, { etag: o.etag, 'content-length': 0 });
    }
    if (method === 'DELETE') {
      bucket.objects.delete(key);
      return send(204, {});
    }
    return fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', [
      ['Method', method],
      ['ResourceType', 'OBJECT'],
    ]);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A bug in the lab must not hang the client: answer as S3 does for its own faults.
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/xml' });
        res.end(errorXml('InternalError', `We encountered an internal error: ${String(e)}`, [], '-', '-'));
      } else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  let closed: Promise<void> | null = null;

  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    address: '127.0.0.1',
    port: addr.port,
    region,
    credential: credentials[0]!,
    ownerId,
    createBucket,
    putObject(bucketName, key, data, contentType = 'binary/octet-stream') {
      const b = buckets.get(bucketName);
      if (!b) throw new Error(`startLabS3: no bucket ${bucketName}`);
      return store(b, key, Buffer.from(data), contentType, new Map()).etag;
    },
    getObject(bucketName, key) {
      return buckets.get(bucketName)?.objects.get(key)?.body;
    },
    listKeys(bucketName, prefix = '') {
      const b = buckets.get(bucketName);
      if (!b) return [];
      return [...b.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    },
    setOriginResolver(resolve) {
      resolveOrigin = resolve;
    },
    accessLogLines(bucketName) {
      return allLines.filter((l) => bucketName === undefined || l.bucket === bucketName).map((l) => l.line);
    },
    flushAccessLogs() {
      const written: string[] = [];
      const at = now();
      for (const [target, lines] of pending) {
        const [targetBucket, targetPrefix] = target.split('\n') as [string, string];
        const b = buckets.get(targetBucket);
        // S3 drops logs whose target bucket is gone; so does the lab.
        if (!b || lines.length === 0) continue;
        const key = accessLogObjectKey(targetPrefix, at, newRequestId());
        store(b, key, Buffer.from(`${lines.join('\n')}\n`, 'utf8'), 'text/plain', new Map());
        written.push(`${targetBucket}/${key}`);
      }
      pending.clear();
      return written;
    },
    close() {
      if (!closed) {
        closed = new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
      }
      return closed;
    },
  };
}

/** Whether an `If-Match` / `If-None-Match` list (`"a", "b"` or `*`) holds the ETag. */
function etagListHas(list: string, etag: string): boolean {
  return list.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || `"${v}"` === etag || v.replace(/^W\//, '') === etag;
  });
}

function listV2(
  bucket: Bucket,
  params: readonly [string, string][],
  send: (code: number, headers: Record<string, string | number>, payload?: string) => void,
  fail: (
    code: number,
    s3Code: string,
    message: string,
    details?: readonly (readonly [string, string])[],
  ) => void,
): void {
  const get = (name: string) => params.find(([k]) => k === name)?.[1];
  const prefix = get('prefix') ?? '';
  const delimiter = get('delimiter') ?? null;
  const startAfter = get('start-after') ?? null;
  const token = get('continuation-token') ?? null;
  const encodingType = get('encoding-type');
  const maxText = get('max-keys');
  if (encodingType !== undefined && encodingType !== 'url') {
    fail(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request', [
      ['ArgumentName', 'encoding-type'],
      ['ArgumentValue', encodingType],
    ]);
    return;
  }
  const maxKeys = maxText === undefined ? 1000 : /^\d+$/.test(maxText) ? Math.min(1000, Number(maxText)) : -1;
  if (maxKeys < 0) {
    fail(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range', [
      ['ArgumentName', 'max-keys'],
      ['ArgumentValue', maxText ?? ''],
    ]);
    return;
  }
  let after = startAfter ?? '';
  if (token !== null) {
    // The token is opaque to clients; the lab's is the last key returned, base64url-encoded.
    const decoded = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : null;
    if (decoded === null || decoded === '') {
      fail(400, 'InvalidArgument', 'The continuation token provided is incorrect', [
        ['ArgumentName', 'continuation-token'],
      ]);
      return;
    }
    after = decoded;
  }
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
  const xml = listObjectsV2Xml({
    bucket: bucket.config.name,
    prefix,
    delimiter,
    maxKeys,
    startAfter,
    continuationToken: token,
    nextContinuationToken:
      truncated && last !== null ? Buffer.from(last, 'utf8').toString('base64url') : null,
    encodingType: encodingType === 'url' ? 'url' : null,
    contents,
    commonPrefixes,
  });
  send(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }, xml);
}
