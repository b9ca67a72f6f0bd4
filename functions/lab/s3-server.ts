import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAccessLogRecord } from '../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { verifyHeaderSigned, verifyPresigned } from './sigv4.js';

const OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

export interface LabS3Options {
  /** The address AWS would log as Remote IP for a connection (the lab network decides). */
  remoteIpFor?: (remotePort: number) => string | null;
  now?: () => Date;
}

interface StoredObject {
  body: Buffer;
  etag: string;
}

/**
 * The lab's S3 endpoint: an HTTP server on loopback that serves presigned GET and PUT requests for
 * virtual-hosted and path-style hosts, verifies their SigV4 query signatures and expiry like S3
 * (403 SignatureDoesNotMatch, AccessDenied "Request has expired", InvalidAccessKeyId in S3's XML
 * error body), returns x-amz-request-id and x-amz-id-2, and writes one S3 server access log line
 * per request in the AWS format, with the Remote IP the lab network says AWS would see.
 */
export class LabS3 {
  readonly objects = new Map<string, StoredObject>();
  /** Access log lines by source bucket: S3 logs each bucket to its own target prefix. */
  readonly accessLog: { bucket: string | null; line: string }[] = [];
  private server: http.Server | null = null;
  port = 0;

  constructor(private readonly opts: LabS3Options = {}) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** Creates an object directly (the probe function's PutObject with its role). */
  putObject(bucket: string, key: string, body: Uint8Array): void {
    const b = Buffer.from(body);
    this.objects.set(`${bucket}/${key}`, { body: b, etag: `"${createHash('md5').update(b).digest('hex')}"` });
  }

  getObject(bucket: string, key: string): Buffer | null {
    return this.objects.get(`${bucket}/${key}`)?.body ?? null;
  }

  /** Bucket and key from a virtual-hosted (`bucket.s3…`, `bucket.bucket.vpce-…`) or path-style host. */
  static locate(host: string, rawPath: string): { bucket: string; key: string } | null {
    const h = host.replace(/:\d+$/, '').toLowerCase();
    const path = rawPath.replace(/^\//, '');
    const virtual =
      /^(.+?)\.(?:bucket\.vpce-[^.]+\.s3\.[a-z0-9-]+\.vpce\.amazonaws\.com|s3[.-][a-z0-9.-]*amazonaws\.com|s3-accelerate(?:\.dualstack)?\.amazonaws\.com)$/.exec(
        h,
      );
    if (virtual && !h.startsWith('s3.') && !h.startsWith('bucket.vpce-'))
      return { bucket: virtual[1]!, key: decodeURIComponent(path) };
    if (path === '') return null;
    const slash = path.indexOf('/');
    if (slash === -1) return { bucket: path, key: '' };
    return { bucket: path.slice(0, slash), key: decodeURIComponent(path.slice(slash + 1)) };
  }

  /** ListObjectsV2: prefix, start-after, continuation-token, max-keys (keys in UTF-8 order). */
  private list(bucket: string, q: URLSearchParams): string {
    const prefix = q.get('prefix') ?? '';
    const after = q.get('continuation-token')
      ? Buffer.from(q.get('continuation-token')!, 'base64url').toString()
      : (q.get('start-after') ?? '');
    const max = Math.min(1000, Number(q.get('max-keys') ?? 1000) || 1000);
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/`))
      .map((k) => k.slice(bucket.length + 1))
      .filter((k) => k.startsWith(prefix) && k > after)
      .sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > max;
    const esc = (x: string) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const contents = page
      .map((k) => {
        const o = this.objects.get(`${bucket}/${k}`)!;
        return `<Contents><Key>${esc(k)}</Key><ETag>${esc(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated
      ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64url')}</NextContinuationToken>`
      : '';
    return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${esc(bucket)}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const now = this.opts.now?.() ?? new Date();
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const hostId = randomBytes(24).toString('base64');
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', hostId);
    const host = req.headers.host ?? '';
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const rawPath = q === -1 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const where = LabS3.locate(host, rawPath);
    let status = 200;
    let errorCode: string | null = null;
    let sent = 0;
    let objectSize: number | null = null;
    const fail = (s: number, code: string, message: string) => {
      status = s;
      errorCode = code;
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
      res.statusCode = s;
      res.setHeader('content-type', 'application/xml');
      sent = Buffer.byteLength(xml);
      res.end(xml);
    };
    const presigned = query.has('X-Amz-Signature');
    const headerSigned = !presigned && typeof req.headers.authorization === 'string';
    const check = presigned
      ? await verifyPresigned(
          { method: req.method ?? 'GET', rawPath, query, host, headers: req.headers },
          now,
        )
      : headerSigned
        ? await verifyHeaderSigned({ method: req.method ?? 'GET', rawPath, query, headers: req.headers }, now)
        : ({ ok: false, status: 403, code: 'AccessDenied', message: 'Access Denied' } as const);
    const method = req.method ?? 'GET';
    if (!check.ok) fail(check.status, check.code, check.message);
    else if (!where) fail(400, 'InvalidRequest', 'Missing bucket');
    else if (where.key === '' && method === 'GET') {
      const xml = this.list(where.bucket, query);
      res.setHeader('content-type', 'application/xml');
      sent = Buffer.byteLength(xml);
      res.end(xml);
    } else {
      const id = `${where.bucket}/${where.key}`;
      const o = this.objects.get(id);
      if (method === 'GET' || method === 'HEAD') {
        if (!o) fail(404, 'NoSuchKey', 'The specified key does not exist.');
        else {
          res.setHeader('etag', o.etag);
          res.setHeader('content-length', o.body.length);
          objectSize = o.body.length;
          if (method === 'GET') {
            sent = o.body.length;
            res.end(o.body);
          } else res.end();
        }
      } else if (method === 'PUT') {
        const ifNone = req.headers['if-none-match'];
        const ifMatch = req.headers['if-match'];
        if ((ifNone === '*' && o) || (typeof ifMatch === 'string' && ifMatch !== o?.etag)) {
          fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        } else {
          this.putObject(where.bucket, where.key, body);
          res.setHeader('etag', this.objects.get(id)!.etag);
          objectSize = body.length;
          res.end();
        }
      } else if (method === 'DELETE') {
        this.objects.delete(id);
        res.statusCode = 204;
        res.end();
      } else fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
    if (status === 200 && res.statusCode !== 200) status = res.statusCode;
    const ua = req.headers['user-agent'] ?? null;
    const rec: AccessLogRecord = {
      bucketOwner: OWNER,
      bucket: where?.bucket ?? null,
      time: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString(),
      // Only the lab network knows the address AWS would log; a loopback address never reaches the log.
      remoteIp: this.opts.remoteIpFor?.(req.socket.remotePort ?? 0) ?? null,
      requester:
        presigned || headerSigned ? 'arn:aws:sts::123456789012:assumed-role/PathGuardProbe/probe' : null,
      requestId,
      operation: where && where.key === '' ? `REST.${req.method}.BUCKET` : `REST.${req.method}.OBJECT`,
      key: where?.key ?? null,
      requestUri: `${req.method} ${raw} HTTP/${req.httpVersion}`,
      httpStatus: status,
      errorCode,
      bytesSent: sent || null,
      objectSize,
      totalTime: Date.now() - started,
      turnAroundTime: Date.now() - started,
      referer: null,
      userAgent: Array.isArray(ua) ? (ua[0] ?? null) : ua,
      versionId: null,
      hostId,
      signatureVersion: presigned || headerSigned ? 'SigV4' : null,
      cipherSuite: null,
      authenticationType: presigned ? 'QueryString' : headerSigned ? 'AuthHeader' : null,
      hostHeader: host.replace(/:\d+$/, ''),
      tlsVersion: null,
      accessPointArn: null,
      aclRequired: null,
      extra: ['us-east-1'],
    };
    this.accessLog.push({ bucket: rec.bucket, line: formatAccessLogRecord(rec) });
  }
}
