import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AccessLogRecord } from '../../../shared/access-logs/types.js';
import { AccessLogDelivery, accessLogKeyField, newHostId, newRequestId } from './access-log.js';
import { type ErrorDetails, headerOf, notImplemented, type S3Reply, type S3Request } from './exchange.js';
import { authenticatePostForm, formObjectKey } from './handlers/post-object.js';
import { type S3Target, s3TargetOf } from './hosts.js';
import { type MultipartForm, multipartBoundary, parseMultipartForm } from './multipart.js';
import { dispatch, unsupportedSubresource } from './routes.js';
import {
  type AuthOutcome,
  authCoversRegion,
  LAB_S3_CREDENTIAL,
  parseRawQuery,
  verifySigV4,
} from './sigv4.js';
import { compareKeys, type LabBucket, storeObject } from './store.js';
import type {
  LabBucketConfig,
  LabBucketPolicy,
  LabRequestOrigin,
  LabS3,
  LabS3Options,
  LabBucketPolicy as Policy,
} from './types.js';
import { errorXml } from './xml.js';

export type {
  LabBucketConfig,
  LabBucketPolicy,
  LabPolicyContext,
  LabRequestOrigin,
  LabS3,
  LabS3Options,
} from './types.js';

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

const DEFAULT_OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

function unmapped(address: string | undefined): string | null {
  if (address === undefined) return null;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** A request as received: its request line, addressing and (bounded) body. */
interface Received {
  readonly method: string;
  /** The request target as sent, query included (the access log's Request-URI). */
  readonly rawUrl: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly params: [string, string][];
  readonly target: S3Target;
  /** The body, empty when it exceeded the endpoint's limit. */
  readonly body: Buffer;
  readonly tooLarge: boolean;
  /**
   * A POST to a bucket with a `multipart/form-data` body is a form upload: its form (null when the
   * body is not well-formed). Undefined for every other request.
   */
  readonly form: MultipartForm | null | undefined;
}

/** Reads the request line and the body, keeping no more than `maxBody` bytes. */
async function receive(
  req: http.IncomingMessage,
  maxBody: number,
  mraps: ReadonlyMap<string, string>,
): Promise<Received> {
  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > maxBody) tooLarge = true;
    else chunks.push(c as Buffer);
  }
  const target = s3TargetOf(headerOf(req.headers, 'host') ?? '', rawPath, mraps);
  const body = Buffer.concat(chunks);
  const boundary = multipartBoundary(headerOf(req.headers, 'content-type'));
  const isForm = method === 'POST' && target.bucket !== null && target.key === null && boundary !== null;
  return {
    method,
    rawUrl,
    rawPath,
    rawQuery,
    params: parseRawQuery(rawQuery),
    target,
    body,
    tooLarge,
    form: isForm && !tooLarge ? parseMultipartForm(body, boundary) : undefined,
  };
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

/** What the access log records of a reply, filled in as it is sent. */
interface ReplyOutcome {
  status: number;
  errorCode: string | null;
  bytesSent: number;
  objectSize: number | null;
  /** `Date.now()` when the status line went out; 0 before. */
  respondedMs: number;
}

/** The reply of one request (no body on HEAD) and the outcome it records for the access log. */
function replyTo(
  res: http.ServerResponse,
  method: string,
  requestId: string,
  hostId: string,
): { reply: S3Reply; outcome: ReplyOutcome } {
  const outcome: ReplyOutcome = {
    status: 200,
    errorCode: null,
    bytesSent: 0,
    objectSize: null,
    respondedMs: 0,
  };
  const send = (code: number, headers: Record<string, string | number>, payload?: Buffer | string): void => {
    outcome.respondedMs = Date.now();
    outcome.status = code;
    res.writeHead(code, headers);
    if (payload === undefined || method === 'HEAD') {
      res.end();
      return;
    }
    const buf = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    outcome.bytesSent = buf.length;
    res.end(buf);
  };
  const fail = (code: number, s3Code: string, message: string, details: ErrorDetails = []): void => {
    outcome.errorCode = s3Code;
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
  const setObjectSize = (size: number): void => {
    outcome.objectSize = size;
  };
  return { reply: { send, fail, setObjectSize }, outcome };
}

/** Everything one access log line is made of. */
interface LoggedRequest {
  readonly ownerId: string;
  readonly bucket: LabBucket;
  readonly req: http.IncomingMessage;
  readonly received: Received;
  readonly receivedAt: Date;
  readonly startedMs: number;
  readonly requestId: string;
  readonly hostId: string;
  readonly origin: LabRequestOrigin;
  readonly auth: AuthOutcome;
  readonly outcome: ReplyOutcome;
}

/** The server access log record S3 writes for a request, once its response has ended. */
function accessLogRecordOf(r: LoggedRequest, endMs: number): AccessLogRecord {
  const { received, outcome, auth } = r;
  const signed = auth.kind === 'signed';
  const authType = auth.kind === 'anonymous' ? null : auth.authType;
  return {
    bucketOwner: r.ownerId,
    bucket: r.bucket.config.name,
    time: r.receivedAt.toISOString(),
    remoteIp: r.origin.remoteIp,
    requester: signed ? auth.credential.principalArn : null,
    requestId: r.requestId,
    operation: operationOf(received),
    key: loggedKeyOf(received),
    requestUri: `${received.method} ${received.rawUrl} HTTP/${r.req.httpVersion}`,
    httpStatus: outcome.status,
    errorCode: outcome.errorCode,
    bytesSent: outcome.bytesSent === 0 ? null : outcome.bytesSent,
    objectSize: outcome.objectSize,
    totalTime: endMs - r.startedMs,
    turnAroundTime: outcome.respondedMs === 0 ? null : Math.max(0, outcome.respondedMs - r.startedMs),
    referer: headerOf(r.req.headers, 'referer') ?? null,
    userAgent: headerOf(r.req.headers, 'user-agent') ?? null,
    versionId: null,
    hostId: r.hostId,
    signatureVersion: authType === null ? null : 'SigV4',
    // The lab speaks plain HTTP: no cipher, no TLS version, as S3 logs for http requests.
    cipherSuite: null,
    authenticationType: authType,
    hostHeader: received.target.host === '' ? null : received.target.host,
    tlsVersion: null,
    accessPointArn: null,
    aclRequired: null,
    extra: [],
  };
}

/** The object a request acts on: the path's key, or a POST form's `key` field. */
function objectKeyOf(received: Received): string | null {
  if (received.form) return formObjectKey(received.form);
  return received.target.key;
}

/** The access log's Key field. */
function loggedKeyOf(received: Received): string | null {
  const key = objectKeyOf(received);
  return key === null ? null : accessLogKeyField(key);
}

/** The access log's Operation, e.g. `REST.GET.OBJECT`; a POST form upload is `REST.POST.OBJECT`. */
function operationOf(received: Received): string {
  const object = received.target.key !== null || received.form != null;
  return `REST.${received.method}.${object ? 'OBJECT' : 'BUCKET'}`;
}

/** The checks S3 makes before any handler, in its order; each refusal answered on the reply. */
interface Admission {
  readonly req: http.IncomingMessage;
  readonly received: Received;
  readonly bucket: LabBucket | undefined;
  readonly auth: AuthOutcome;
  readonly origin: LabRequestOrigin;
  readonly reply: S3Reply;
  readonly now: () => Date;
}

/** The answer to a credential scoped to another Region than the bucket's. */
function wrongRegion(reply: S3Reply, authType: 'AuthHeader' | 'QueryString', told: string, bucket: string) {
  const message = `the region '${told}' is wrong; expecting '${bucket}'`;
  return authType === 'QueryString'
    ? reply.fail(
        400,
        'AuthorizationQueryParametersError',
        `Error parsing the X-Amz-Credential parameter; ${message}`,
        [['Region', bucket]],
      )
    : reply.fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; ${message}`, [
        ['Region', bucket],
      ]);
}

/**
 * The body a handler sees: unsigned `aws-chunked` framing removed; a signed one is refused (the
 * lab does not check chunk signatures and will not accept unverified bytes). Null once answered.
 */
function payloadOf(a: Admission): Buffer | null {
  const contentSha = headerOf(a.req.headers, 'x-amz-content-sha256') ?? '';
  const chunked =
    contentSha.startsWith('STREAMING-') ||
    (headerOf(a.req.headers, 'content-encoding') ?? '').includes('aws-chunked');
  if (!chunked) return a.received.body;
  if (contentSha.startsWith('STREAMING-AWS4-HMAC-SHA256')) {
    notImplemented(a.reply, undefined, 'Signed aws-chunked payloads are not supported by this endpoint');
    return null;
  }
  const decoded = decodeAwsChunked(a.received.body);
  if (!decoded) a.reply.fail(400, 'IncompleteBody', 'The request body terminated unexpectedly');
  return decoded;
}

/** The request a handler is given, or null when a check before the handlers answered it. */
function admit(a: Admission): S3Request | null {
  const { received, bucket, auth, reply } = a;
  if (received.tooLarge) {
    reply.fail(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    return null;
  }
  if (received.target.bucket === null) {
    notImplemented(reply);
    return null;
  }
  if (!bucket) {
    reply.fail(404, 'NoSuchBucket', 'The specified bucket does not exist', [
      ['BucketName', received.target.bucket],
    ]);
    return null;
  }
  if (auth.kind === 'error') {
    reply.fail(auth.status, auth.code, auth.message, auth.details);
    return null;
  }
  if (auth.kind === 'anonymous') {
    reply.fail(403, 'AccessDenied', 'Access Denied');
    return null;
  }
  if (!authCoversRegion(auth, bucket.region)) {
    wrongRegion(reply, auth.authType, auth.region, bucket.region);
    return null;
  }
  if (!policyAllows(bucket.config.policy, a, auth.credential.principalArn)) {
    reply.fail(403, 'AccessDenied', 'Access Denied');
    return null;
  }
  const sub = unsupportedSubresource(received.params);
  if (sub !== null) {
    notImplemented(reply, sub);
    return null;
  }
  const body = payloadOf(a);
  if (body === null) return null;
  return {
    method: received.method,
    params: received.params,
    headers: a.req.headers,
    bucket,
    key: received.target.key,
    body,
    ...(received.form ? { form: received.form } : {}),
    auth,
    origin: a.origin,
    now: a.now,
  };
}

function policyAllows(policy: Policy | undefined, a: Admission, principalArn: string): boolean {
  if (!policy) return true;
  return policy({
    bucket: a.bucket!.config.name,
    key: objectKeyOf(a.received),
    operation: operationOf(a.received),
    principalArn,
    origin: a.origin,
  });
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
  const buckets = new Map<string, LabBucket>();
  const mraps = new Map((opts.multiRegionAccessPoints ?? []).map((m) => [m.alias, m.bucket]));
  const logs = new AccessLogDelivery();
  let resolveOrigin: ((socket: Socket) => LabRequestOrigin | null) | null = null;
  const sockets = new Set<Socket>();

  const createBucket = (config: LabBucketConfig): void => {
    if (buckets.has(config.name)) throw new Error(`startLabS3: bucket ${config.name} exists`);
    buckets.set(config.name, { config, region: config.region ?? region, objects: new Map() });
  };
  for (const b of opts.buckets ?? []) createBucket(b);

  const originOf = (socket: Socket): LabRequestOrigin => {
    const told = resolveOrigin?.(socket) ?? null;
    if (told) return told;
    const ip = opts.remoteIpFor?.(socket) ?? unmapped(socket.remoteAddress) ?? '-';
    return { remoteIp: ip, vpcEndpointId: null, vpcId: null };
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

    const received = await receive(req, maxBody, mraps);
    const bodySha256 = createHash('sha256').update(received.body).digest('hex');
    const { method, rawPath, rawQuery } = received;
    // A form upload authenticates by its form (the signed policy), every other request by SigV4.
    const auth =
      received.form === undefined
        ? verifySigV4({ method, rawPath, rawQuery, headers: req.headers, bodySha256 }, keys, now())
        : authenticatePostForm(received.form, keys);
    const bucket = received.target.bucket === null ? undefined : buckets.get(received.target.bucket);
    const { reply, outcome } = replyTo(res, method, requestId, hostId);
    if (bucket) {
      const logged: LoggedRequest = {
        ownerId,
        bucket,
        req,
        received,
        receivedAt,
        startedMs,
        requestId,
        hostId,
        origin,
        auth,
        outcome,
      };
      res.once('close', () => logs.write(bucket, accessLogRecordOf(logged, Date.now())));
    }
    const request = admit({ req, received, bucket, auth, origin, reply, now });
    if (request) dispatch(request, reply);
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
      return storeObject(b, key, Buffer.from(data), contentType, new Map(), now()).etag;
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
      return logs.lines(bucketName);
    },
    flushAccessLogs() {
      return logs.flush(buckets, now());
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
