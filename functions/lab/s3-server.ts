import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAccessLogRecord } from '../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { verifyPresigned } from './sigv4.js';

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
  readonly accessLog: string[] = [];
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
    const slash = path.indexOf('/');
    if (slash <= 0) return null;
    return { bucket: path.slice(0, slash), key: decodeURIComponent(path.slice(slash + 1)) };
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
    if (!presigned) fail(403, 'AccessDenied', 'Access Denied');
    else {
      const check = await verifyPresigned({ method: req.method ?? 'GET', rawPath, query, host }, now);
      if (!check.ok) fail(check.status, check.code, check.message);
      else if (!where) fail(400, 'InvalidRequest', 'Missing bucket or key');
      else if (req.method === 'GET') {
        const o = this.objects.get(`${where.bucket}/${where.key}`);
        if (!o) fail(404, 'NoSuchKey', 'The specified key does not exist.');
        else {
          res.setHeader('etag', o.etag);
          res.setHeader('content-length', o.body.length);
          sent = o.body.length;
          objectSize = o.body.length;
          res.end(o.body);
        }
      } else if (req.method === 'PUT') {
        this.putObject(where.bucket, where.key, body);
        res.setHeader('etag', this.objects.get(`${where.bucket}/${where.key}`)!.etag);
        objectSize = body.length;
        res.end();
      } else fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
    const ua = req.headers['user-agent'] ?? null;
    const rec: AccessLogRecord = {
      bucketOwner: OWNER,
      bucket: where?.bucket ?? null,
      time: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString(),
      remoteIp: this.opts.remoteIpFor?.(req.socket.remotePort ?? 0) ?? req.socket.remoteAddress ?? null,
      requester: presigned ? 'arn:aws:sts::123456789012:assumed-role/PathGuardProbe/probe' : null,
      requestId,
      operation: `REST.${req.method}.OBJECT`,
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
      signatureVersion: presigned ? 'SigV4' : null,
      cipherSuite: null,
      authenticationType: presigned ? 'QueryString' : null,
      hostHeader: host.replace(/:\d+$/, ''),
      tlsVersion: null,
      accessPointArn: null,
      aclRequired: null,
      extra: ['us-east-1'],
    };
    this.accessLog.push(formatAccessLogRecord(rec));
  }
}
