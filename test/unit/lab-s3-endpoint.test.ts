import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  accessLogObjectKey,
  allowOnlyFromVpcEndpoints,
  LAB_S3_CREDENTIAL,
  type LabS3,
  s3TargetOf,
  startLabS3,
} from '../../functions/lab/s3/index.js';
import { parseAccessLogString } from '../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { redactText } from '../../shared/endpoints/index.js';

const BUCKET = 'example-data-bucket';

/** node:crypto in the hash shape @smithy/signature-v4 takes (the SDK's own signer signs the test request). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}
const LOGS = 'example-access-logs';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One plain-HTTP request to the lab endpoint on loopback, with the Host header the URL names. */
function request(
  s3: LabS3,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: s3.port,
        method: init.method ?? 'GET',
        path: `${u.pathname}${u.search}`,
        headers: { host: init.host ?? u.host, ...init.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

function xmlField(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
}

/** Parses the lab's log lines; a failure message shows the line redacted (it may hold a signature). */
function parsed(lines: readonly string[]): AccessLogRecord[] {
  return lines.map((line) => {
    const r = parseAccessLogString(line);
    if (!r.ok) throw new Error(`unparseable access log line: ${redactText(line)}: ${r.error.message}`);
    return r.value;
  });
}

async function sdkError(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return e;
    throw e;
  }
  throw new Error('expected the request to fail');
}

/** A presigned GetObject URL for the public regional name, as the probe function makes them. */
async function presignGet(
  key: string,
  opts: {
    credentials?: { accessKeyId: string; secretAccessKey: string };
    signingDate?: Date;
    expiresIn?: number;
  } = {},
): Promise<string> {
  const client = new S3Client({ region: 'us-east-1', credentials: opts.credentials ?? LAB_S3_CREDENTIAL });
  try {
    return await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: opts.expiresIn ?? 300,
      ...(opts.signingDate ? { signingDate: opts.signingDate } : {}),
    });
  } finally {
    client.destroy();
  }
}

describe('lab S3 endpoint', () => {
  let s3: LabS3;
  let client: S3Client;

  beforeEach(async () => {
    s3 = await startLabS3({
      buckets: [
        { name: BUCKET, logging: { targetBucket: LOGS, targetPrefix: `${BUCKET}/` } },
        { name: LOGS },
      ],
      remoteIpFor: () => '10.0.1.77',
    });
    client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: s3.credential,
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await s3.close();
  });

  it('stores, reads, heads and deletes objects through the AWS SDK, with MD5 ETags', async () => {
    const key = 'probes/vpc-app/regional 2026+ü.txt';
    const put = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'probe body' }));
    const md5 = `"${createHash('md5').update('probe body').digest('hex')}"`;
    expect(put.ETag).toBe(md5);
    expect(s3.getObject(BUCKET, key)?.toString()).toBe('probe body');

    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await got.Body?.transformToString()).toBe('probe body');
    expect(got.ETag).toBe(md5);
    expect(got.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/);
    expect(got.$metadata.extendedRequestId).toMatch(/^[A-Za-z0-9+/]{75}=$/);

    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(10);

    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const missing = await sdkError(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })));
    expect(missing.name).toBe('NoSuchKey');
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const headMissing = await sdkError(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    expect(headMissing.$metadata.httpStatusCode).toBe(404);
  });

  it('answers NoSuchBucket for a bucket it does not have', async () => {
    const e = await sdkError(client.send(new GetObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k' })));
    expect(e.name).toBe('NoSuchBucket');
    expect(e.$metadata.httpStatusCode).toBe(404);
  });

  it('lists with prefix, start-after, delimiter and continuation tokens in byte order', async () => {
    const keys = ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'b/1', 'a/sub/x', 'a/\u00e9', 'a/\u{1f600}', 'a/\uff5e'];
    for (const k of keys) s3.putObject(BUCKET, k, k);
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'a/', MaxKeys: 3, ContinuationToken: token }),
      );
      pages.push((page.Contents ?? []).map((c) => c.Key!));
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token);
    // UTF-8 byte order puts U+FF5E (EF BD 9E) before U+1F600 (F0 9F 98 80); UTF-16 order would not.
    expect(pages).toEqual([
      ['a/1', 'a/2', 'a/3'],
      ['a/4', 'a/5', 'a/sub/x'],
      ['a/\u00e9', 'a/\uff5e', 'a/\u{1f600}'],
    ]);

    const after = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, StartAfter: 'a/5', Prefix: 'a/' }),
    );
    expect(after.Contents?.map((c) => c.Key)).toEqual(['a/sub/x', 'a/\u00e9', 'a/\uff5e', 'a/\u{1f600}']);

    const folders = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(folders.Contents).toBeUndefined();
    expect(folders.KeyCount).toBe(2);

    const bad = await sdkError(
      client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'not a token!' })),
    );
    expect(bad.name).toBe('InvalidArgument');
  });

  it('refuses conditional writes whose condition fails with 412 PreconditionFailed', async () => {
    const first = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'claims/run-1', Body: 'one', IfNoneMatch: '*' }),
    );
    const again = await sdkError(
      client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'claims/run-1', Body: 'two', IfNoneMatch: '*' }),
      ),
    );
    expect(again.name).toBe('PreconditionFailed');
    expect(again.$metadata.httpStatusCode).toBe(412);
    expect(s3.getObject(BUCKET, 'claims/run-1')?.toString()).toBe('one');

    const stale = await sdkError(
      client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'claims/run-1', Body: 'two', IfMatch: '"0000"' }),
      ),
    );
    expect(stale.$metadata.httpStatusCode).toBe(412);
    const ok = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'claims/run-1', Body: 'two', IfMatch: first.ETag }),
    );
    expect(ok.ETag).not.toBe(first.ETag);
    expect(s3.getObject(BUCKET, 'claims/run-1')?.toString()).toBe('two');
  });

  it('serves a presigned GET for the virtual-hosted regional name arriving on loopback', async () => {
    s3.putObject(BUCKET, 'probes/object.bin', 'probe payload');
    const url = await presignGet('probes/object.bin');
    expect(new URL(url).host).toBe(`${BUCKET}.s3.us-east-1.amazonaws.com`);
    const res = await request(s3, url);
    expect(res.status).toBe(200);
    expect(res.body).toBe('probe payload');
    expect(res.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(res.headers['x-amz-id-2']).toBeTruthy();
  });

  it('signs the headers a presigned URL lists besides host: the same Content-Type passes, another fails', async () => {
    const signer = new S3Client({ region: 'us-east-1', credentials: LAB_S3_CREDENTIAL });
    const url = await getSignedUrl(
      signer,
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'observations/r/typed.json',
        ContentType: 'application/json',
      }),
      { expiresIn: 300, signableHeaders: new Set(['content-type']) },
    );
    signer.destroy();
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    const wrong = await request(s3, url, {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'text/html' },
    });
    expect([wrong.status, xmlField(wrong.body, 'Code')]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(s3.getObject(BUCKET, 'observations/r/typed.json')).toBeUndefined();
    const right = await request(s3, url, {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(right.status).toBe(200);
    expect(s3.getObject(BUCKET, 'observations/r/typed.json')?.toString()).toBe('{}');
  });

  it('answers tampered, expired, wrong-key and wrong-host presigned URLs with S3 error codes', async () => {
    s3.putObject(BUCKET, 'probes/object.bin', 'probe payload');
    s3.putObject(BUCKET, 'probes/other.bin', 'other');
    const url = await presignGet('probes/object.bin');

    const otherKey = new URL(url);
    otherKey.pathname = '/probes/other.bin';
    const tampered = await request(s3, otherKey.toString());
    expect(tampered.status).toBe(403);
    expect(xmlField(tampered.body, 'Code')).toBe('SignatureDoesNotMatch');

    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect(xmlField((await request(s3, longer.toString())).body, 'Code')).toBe('SignatureDoesNotMatch');

    // The host is signed: the same URL presented for another bucket's name does not verify.
    const wrongHost = await request(s3, url, { host: `${BUCKET}.s3.amazonaws.com` });
    expect(xmlField(wrongHost.body, 'Code')).toBe('SignatureDoesNotMatch');

    const expiredUrl = await presignGet('probes/object.bin', {
      signingDate: new Date(Date.now() - 2 * 3600_000),
      expiresIn: 60,
    });
    const expired = await request(s3, expiredUrl);
    expect(expired.status).toBe(403);
    expect(xmlField(expired.body, 'Code')).toBe('AccessDenied');
    expect(xmlField(expired.body, 'Message')).toBe('Request has expired');
    expect(xmlField(expired.body, 'X-Amz-Expires')).toBe('60');

    const unknownKey = await presignGet('probes/object.bin', {
      credentials: {
        accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
        secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
      },
    });
    const invalidKey = await request(s3, unknownKey);
    expect(invalidKey.status).toBe(403);
    expect(xmlField(invalidKey.body, 'Code')).toBe('InvalidAccessKeyId');

    const wrongSecret = await presignGet('probes/object.bin', {
      credentials: { accessKeyId: LAB_S3_CREDENTIAL.accessKeyId, secretAccessKey: 'not-the-lab-secret' },
    });
    expect(xmlField((await request(s3, wrongSecret)).body, 'Code')).toBe('SignatureDoesNotMatch');

    // Every error repeats the response's request ids in its body.
    expect(xmlField(expired.body, 'RequestId')).toBe(expired.headers['x-amz-request-id']);
    expect(xmlField(expired.body, 'HostId')).toBe(expired.headers['x-amz-id-2']);
  });

  it('answers header-signed requests with a wrong secret, an unknown key or a skewed clock like S3', async () => {
    const wrongSecret = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: LAB_S3_CREDENTIAL.accessKeyId, secretAccessKey: 'not-the-lab-secret' },
      maxAttempts: 1,
    });
    const unknown = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
        secretAccessKey: LAB_S3_CREDENTIAL.secretAccessKey,
      },
      maxAttempts: 1,
    });
    const skewed = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: s3.credential,
      maxAttempts: 1,
      systemClockOffset: -3600_000,
    });
    const otherRegion = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'eu-west-1',
      credentials: s3.credential,
      maxAttempts: 1,
    });
    try {
      const put = (c: S3Client) =>
        sdkError(c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'x', Body: 'x' })));
      const e1 = await put(wrongSecret);
      expect([e1.name, e1.$metadata.httpStatusCode]).toEqual(['SignatureDoesNotMatch', 403]);
      const e2 = await put(unknown);
      expect([e2.name, e2.$metadata.httpStatusCode]).toEqual(['InvalidAccessKeyId', 403]);
      const e3 = await put(skewed);
      expect([e3.name, e3.$metadata.httpStatusCode]).toEqual(['RequestTimeTooSkewed', 403]);
      const e4 = await put(otherRegion);
      expect([e4.name, e4.$metadata.httpStatusCode]).toEqual(['AuthorizationHeaderMalformed', 400]);
      expect(s3.getObject(BUCKET, 'x')).toBeUndefined();
    } finally {
      for (const c of [wrongSecret, unknown, skewed, otherRegion]) c.destroy();
    }
  });

  it('verifies a header-signed request whose Host header names the bucket (virtual-hosted)', async () => {
    s3.putObject(BUCKET, 'reports/q1.csv', 'a,b\n');
    const signer = new SignatureV4({
      credentials: s3.credential,
      region: 'us-east-1',
      service: 's3',
      sha256: Sha256,
    });
    const host = `${BUCKET}.s3.us-east-1.amazonaws.com`;
    const signed = await signer.sign({
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/reports/q1.csv',
      query: {},
      headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, String(v)]));
    const res = await request(s3, `https://${host}/reports/q1.csv`, { headers });
    expect(res.status).toBe(200);
    expect(res.body).toBe('a,b\n');
    const [rec] = parsed(s3.accessLogLines(BUCKET));
    expect(rec?.hostHeader).toBe(host);
    expect(rec?.requestUri).toBe('GET /reports/q1.csv HTTP/1.1');
    expect(rec?.key).toBe('reports/q1.csv');
  });

  it('refuses unsigned requests to private buckets with 403 AccessDenied', async () => {
    s3.putObject(BUCKET, 'k', 'v');
    const res = await request(s3, `${s3.endpoint}/${BUCKET}/k`);
    expect(res.status).toBe(403);
    expect(xmlField(res.body, 'Code')).toBe('AccessDenied');
    expect(res.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    const [rec] = parsed(s3.accessLogLines(BUCKET));
    expect(rec).toMatchObject({
      requester: null,
      signatureVersion: null,
      authenticationType: null,
      httpStatus: 403,
    });
  });

  it('writes one AWS-format access log line per request, delivered under the simple-prefix key format', async () => {
    s3.putObject(BUCKET, 'probes/object.bin', 'probe payload');
    const url = await presignGet('probes/object.bin');
    const presigned = await request(s3, url, { headers: { 'user-agent': 'pathguard/0.1.0 runner/vpc-app' } });
    await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'probes/object.bin' }));
    const denied = await request(s3, url.replace('X-Amz-Expires=300', 'X-Amz-Expires=301'));

    const lines = s3.accessLogLines(BUCKET);
    expect(lines).toHaveLength(3);
    const [get, head, bad] = parsed(lines);
    expect(get).toMatchObject({
      bucketOwner: s3.ownerId,
      bucket: BUCKET,
      remoteIp: '10.0.1.77',
      requester: LAB_S3_CREDENTIAL.principalArn,
      requestId: presigned.headers['x-amz-request-id'],
      hostId: presigned.headers['x-amz-id-2'],
      operation: 'REST.GET.OBJECT',
      key: 'probes/object.bin',
      httpStatus: 200,
      errorCode: null,
      bytesSent: 13,
      objectSize: 13,
      referer: null,
      userAgent: 'pathguard/0.1.0 runner/vpc-app',
      signatureVersion: 'SigV4',
      cipherSuite: null,
      authenticationType: 'QueryString',
      hostHeader: `${BUCKET}.s3.us-east-1.amazonaws.com`,
      tlsVersion: null,
      accessPointArn: null,
      aclRequired: null,
      extra: [],
    });
    // The Request-URI is the request line as sent, query string included.
    expect(redactText(get!.requestUri!)).toMatch(
      /^GET \/probes\/object\.bin\?X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Signature=REDACTED.* HTTP\/1\.1$/,
    );
    expect(head).toMatchObject({
      operation: 'REST.HEAD.OBJECT',
      authenticationType: 'AuthHeader',
      httpStatus: 200,
    });
    expect(head?.hostHeader).toBe('127.0.0.1');
    expect(bad).toMatchObject({ httpStatus: 403, errorCode: 'SignatureDoesNotMatch', requester: null });
    expect(bad?.requestId).toBe(denied.headers['x-amz-request-id']);
    // All 26 fields present: the line has no trailing fields and none missing.
    for (const line of lines) expect(parseAccessLogString(line).ok).toBe(true);

    const delivered = s3.flushAccessLogs();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatch(
      new RegExp(`^${LOGS}/${BUCKET}/\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9A-F]{16}$`),
    );
    // The log objects are read back like any other: through the SDK, listed under the prefix.
    const listed = await client.send(new ListObjectsV2Command({ Bucket: LOGS, Prefix: `${BUCKET}/` }));
    expect(listed.Contents?.map((c) => `${LOGS}/${c.Key}`)).toEqual(delivered);
    const obj = await client.send(new GetObjectCommand({ Bucket: LOGS, Key: listed.Contents![0]!.Key! }));
    expect(await obj.Body?.transformToString()).toBe(`${lines.join('\n')}\n`);
    // Reading the log bucket is not logged (it has no logging of its own) and nothing is left pending.
    expect(s3.flushAccessLogs()).toEqual([]);
  });

  it('applies a bucket policy hook on the source VPC endpoint the network reports', async () => {
    await s3.close();
    s3 = await startLabS3({
      buckets: [
        {
          name: BUCKET,
          policy: allowOnlyFromVpcEndpoints(['vpce-0d4d4d4d4d4d4d4d4']),
          logging: { targetBucket: LOGS, targetPrefix: '' },
        },
        { name: LOGS },
      ],
    });
    s3.putObject(BUCKET, 'k', 'v');
    const url = await presignGet('k');
    s3.setOriginResolver(() => ({ remoteIp: '198.51.100.7', vpcEndpointId: null, vpcId: null }));
    const viaNat = await request(s3, url);
    expect([viaNat.status, xmlField(viaNat.body, 'Code')]).toEqual([403, 'AccessDenied']);
    s3.setOriginResolver(() => ({
      remoteIp: '10.0.1.77',
      vpcEndpointId: 'vpce-0d4d4d4d4d4d4d4d4',
      vpcId: 'vpc-0abcdef0123456789',
    }));
    expect((await request(s3, url)).status).toBe(200);
    const recs = parsed(s3.accessLogLines(BUCKET));
    expect(recs.map((r) => [r.remoteIp, r.httpStatus, r.errorCode])).toEqual([
      ['198.51.100.7', 403, 'AccessDenied'],
      ['10.0.1.77', 200, null],
    ]);
  });

  it('frees its port on close, and a second endpoint starts afterwards', async () => {
    const port = s3.port;
    await s3.close();
    await s3.close();
    const refused = await new Promise<string>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve('connected');
      });
      sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    s3 = await startLabS3({ buckets: [{ name: BUCKET }] });
    s3.putObject(BUCKET, 'k', 'v');
    const again = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: s3.credential,
    });
    try {
      const got = await again.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k' }));
      expect(await got.Body?.transformToString()).toBe('v');
    } finally {
      again.destroy();
    }
  });
});

/** A header-signed raw request (SigV4 with an unsigned payload) to the lab endpoint, path-style. */
async function signedRequest(
  s3: LabS3,
  method: string,
  path: string,
  init: { query?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const signer = new SignatureV4({
    credentials: s3.credential,
    region: 'us-east-1',
    service: 's3',
    sha256: Sha256,
  });
  const host = `127.0.0.1:${s3.port}`;
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: s3.port,
    path,
    query: init.query ?? {},
    headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...init.headers },
  });
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, String(v)]));
  const search = new URLSearchParams(init.query ?? {}).toString();
  return request(s3, `${s3.endpoint}${path}${search === '' ? '' : `?${search}`}`, {
    method,
    headers,
    host,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

describe('lab S3 endpoint: the method × resource table', () => {
  let s3: LabS3;
  beforeEach(async () => {
    s3 = await startLabS3({ buckets: [{ name: BUCKET }], maxBodyBytes: 64 });
  });
  afterEach(async () => {
    await s3.close();
  });

  it('answers a method no route serves with 405 MethodNotAllowed naming the method and resource type', async () => {
    const post = await signedRequest(s3, 'POST', `/${BUCKET}/k`);
    expect([post.status, xmlField(post.body, 'Code'), xmlField(post.body, 'Method')]).toEqual([
      405,
      'MethodNotAllowed',
      'POST',
    ]);
    expect(xmlField(post.body, 'ResourceType')).toBe('OBJECT');
    // GET on a bucket is a ListObjectsV2 only with list-type=2 (the lab has no ListObjects v1).
    const v1 = await signedRequest(s3, 'GET', `/${BUCKET}/`);
    expect([v1.status, xmlField(v1.body, 'ResourceType'), xmlField(v1.body, 'Method')]).toEqual([
      405,
      'BUCKET',
      'GET',
    ]);
    const del = await signedRequest(s3, 'DELETE', `/${BUCKET}/`);
    expect([del.status, xmlField(del.body, 'ResourceType')]).toEqual([405, 'BUCKET']);
  });

  it('answers what it does not implement with one 501 NotImplemented reply naming the header or parameter', async () => {
    const acl = await signedRequest(s3, 'GET', `/${BUCKET}/k`, { query: { acl: '' } });
    expect([acl.status, xmlField(acl.body, 'Code'), xmlField(acl.body, 'Header')]).toEqual([
      501,
      'NotImplemented',
      'acl',
    ]);
    const copy = await signedRequest(s3, 'PUT', `/${BUCKET}/k`, {
      headers: { 'x-amz-copy-source': `/${BUCKET}/other` },
    });
    expect([copy.status, xmlField(copy.body, 'Header')]).toEqual([501, 'x-amz-copy-source']);
    const ifNone = await signedRequest(s3, 'PUT', `/${BUCKET}/k`, {
      headers: { 'if-none-match': '"abc"' },
      body: 'x',
    });
    expect([ifNone.status, xmlField(ifNone.body, 'Header')]).toEqual([501, 'If-None-Match']);
    const chunked = await signedRequest(s3, 'PUT', `/${BUCKET}/k`, {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' },
      body: '0\r\n\r\n',
    });
    expect([chunked.status, xmlField(chunked.body, 'Code')]).toEqual([501, 'NotImplemented']);
    expect(xmlField(chunked.body, 'Message')).toMatch(/aws-chunked/);
    // A request naming no bucket (ListBuckets) is refused before authentication.
    const root = await request(s3, `${s3.endpoint}/`);
    expect([root.status, xmlField(root.body, 'Code')]).toEqual([501, 'NotImplemented']);
    expect(s3.getObject(BUCKET, 'k')).toBeUndefined();
  });

  it('serves HeadBucket, conditional reads, metadata, Content-MD5 and unsigned aws-chunked bodies', async () => {
    const head = await signedRequest(s3, 'HEAD', `/${BUCKET}/`);
    expect([head.status, head.headers['x-amz-bucket-region'], head.body]).toEqual([200, 'us-east-1', '']);

    const put = await signedRequest(s3, 'PUT', `/${BUCKET}/k`, {
      headers: { 'x-amz-meta-run': 'run-1', 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(put.status).toBe(200);
    const etag = put.headers.etag!;
    const got = await signedRequest(s3, 'GET', `/${BUCKET}/k`);
    expect([got.body, got.headers['x-amz-meta-run'], got.headers['content-type']]).toEqual([
      'hello',
      'run-1',
      'text/plain',
    ]);
    const notModified = await signedRequest(s3, 'GET', `/${BUCKET}/k`, {
      headers: { 'if-none-match': etag },
    });
    expect([notModified.status, notModified.body]).toEqual([304, '']);
    const stale = await signedRequest(s3, 'GET', `/${BUCKET}/k`, { headers: { 'if-match': '"0"' } });
    expect([stale.status, xmlField(stale.body, 'Condition')]).toEqual([412, 'If-Match']);
    // HEAD errors carry no body, only the status.
    const headMissing = await signedRequest(s3, 'HEAD', `/${BUCKET}/missing`);
    expect([headMissing.status, headMissing.body]).toEqual([404, '']);

    const badMd5 = await signedRequest(s3, 'PUT', `/${BUCKET}/k`, {
      headers: { 'content-md5': createHash('md5').update('other').digest('base64') },
      body: 'hello',
    });
    expect([badMd5.status, xmlField(badMd5.body, 'Code')]).toEqual([400, 'BadDigest']);

    const chunked = await signedRequest(s3, 'PUT', `/${BUCKET}/c`, {
      headers: {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'content-encoding': 'aws-chunked',
      },
      body: '3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    });
    expect(chunked.status).toBe(200);
    expect(s3.getObject(BUCKET, 'c')?.toString()).toBe('abcde');
    const truncated = await signedRequest(s3, 'PUT', `/${BUCKET}/t`, {
      headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' },
      body: '9\r\nabc',
    });
    expect([truncated.status, xmlField(truncated.body, 'Code')]).toEqual([400, 'IncompleteBody']);

    const large = await signedRequest(s3, 'PUT', `/${BUCKET}/big`, { body: 'x'.repeat(65) });
    expect([large.status, xmlField(large.body, 'Code')]).toEqual([400, 'EntityTooLarge']);
    expect(s3.getObject(BUCKET, 'big')).toBeUndefined();

    const del = await signedRequest(s3, 'DELETE', `/${BUCKET}/k`);
    expect(del.status).toBe(204);
    expect(s3.getObject(BUCKET, 'k')).toBeUndefined();
  });
});

describe('S3 request addressing', () => {
  it.each([
    ['bucket.s3.us-east-1.amazonaws.com', '/a/b.txt', 'bucket', 'a/b.txt', 'virtual-hosted'],
    ['my.dotted.bucket.s3.amazonaws.com:443', '/k', 'my.dotted.bucket', 'k', 'virtual-hosted'],
    ['bucket.s3-accelerate.amazonaws.com', '/k', 'bucket', 'k', 'virtual-hosted'],
    ['bucket.s3.dualstack.eu-west-1.amazonaws.com', '/k', 'bucket', 'k', 'virtual-hosted'],
    ['bucket.s3-us-west-2.amazonaws.com', '/k', 'bucket', 'k', 'virtual-hosted'],
    [
      'my-bucket.bucket.vpce-0a1b2c3d4e5f67890-abcdefgh.s3.us-east-1.vpce.amazonaws.com',
      '/k',
      'my-bucket',
      'k',
      'virtual-hosted',
    ],
    [
      'bucket.vpce-0a1b2c3d4e5f67890-abcdefgh.s3.us-east-1.vpce.amazonaws.com',
      '/my-bucket/k',
      'my-bucket',
      'k',
      'path',
    ],
    ['s3.us-east-1.amazonaws.com', '/bucket/a%20b', 'bucket', 'a b', 'path'],
    ['127.0.0.1:4566', '/bucket/', 'bucket', null, 'path'],
    ['s3.s3.amazonaws.com', '/', 's3', null, 'virtual-hosted'],
  ])('%s %s → bucket %s, key %s (%s)', (host, path, bucket, key, style) => {
    expect(s3TargetOf(host, path)).toMatchObject({ bucket, key, style });
  });

  it('names log objects as AWS documents the simple-prefix format', () => {
    // Example key from the Amazon S3 User Guide, "Logging requests with server access logging".
    expect(accessLogObjectKey('logs/', new Date('2013-11-01T21:32:16Z'), 'E568B2907131C0C0')).toBe(
      'logs/2013-11-01-21-32-16-E568B2907131C0C0',
    );
  });
});
