import http from 'node:http';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabS3 } from '../../functions/lab/s3-server.js';
import { LAB_CREDENTIALS } from '../../functions/lab/sigv4.js';
import { parseAccessLogString } from '../../shared/access-logs/index.js';

const lab = new LabS3({ remoteIpFor: () => '10.0.1.77' });
const client = new S3Client({ region: 'us-east-1', credentials: LAB_CREDENTIALS });
const wrongKey = new S3Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIAWRONGWRONGWRONG0', secretAccessKey: 'x' },
});
const key = 'pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000AA.bin';

beforeAll(async () => {
  await lab.start();
  lab.putObject('example-data-bucket', key, Buffer.alloc(64, 5));
});
afterAll(() => lab.close());

/** Sends a presigned URL's request to the lab over loopback, keeping its Host header. */
function send(
  url: string,
  method = 'GET',
  body?: string,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: string; requestId: string | undefined }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: lab.port,
        method,
        path: `${u.pathname}${u.search}`,
        headers: { host: u.host, ...extraHeaders },
      },
      (res) => {
        let b = '';
        res.on('data', (c) => {
          b += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: b,
            requestId: res.headers['x-amz-request-id'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
const presignGet = (c = client, expiresIn = 900) =>
  getSignedUrl(c, new GetObjectCommand({ Bucket: 'example-data-bucket', Key: key }), { expiresIn });

describe('lab S3 endpoint', () => {
  it('serves a presigned GET (virtual-hosted) and logs it in the AWS format with the lab source address', async () => {
    const r = await send(await presignGet());
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(64);
    expect(r.requestId).toMatch(/^[0-9A-F]{16}$/);
    const rec = parseAccessLogString(lab.accessLog.at(-1)!.line);
    expect(rec.ok && rec.value).toMatchObject({
      bucket: 'example-data-bucket',
      key,
      remoteIp: '10.0.1.77',
      requestId: r.requestId,
      httpStatus: 200,
      authenticationType: 'QueryString',
      signatureVersion: 'SigV4',
      hostHeader: 'example-data-bucket.s3.us-east-1.amazonaws.com',
    });
  });

  it('accepts a presigned PUT and stores the body', async () => {
    const url = await getSignedUrl(
      client,
      new PutObjectCommand({ Bucket: 'results', Key: 'observations/r/p.json' }),
      { expiresIn: 900 },
    );
    expect((await send(url, 'PUT', '{"ok":true}')).status).toBe(200);
    expect(lab.getObject('results', 'observations/r/p.json')?.toString()).toBe('{"ok":true}');
  });

  it('answers tampered, expired, wrong-key and unsigned requests like S3', async () => {
    const good = new URL(await presignGet());
    const tampered = new URL(good);
    tampered.searchParams.set('X-Amz-Expires', '3600');
    const r1 = await send(tampered.toString());
    expect(r1.status).toBe(403);
    expect(r1.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    const otherHost = new URL(good);
    otherHost.hostname = 'example-data-bucket.s3.amazonaws.com';
    expect((await send(otherHost.toString())).body).toContain('<Code>SignatureDoesNotMatch</Code>');
    const old = new LabS3({ now: () => new Date(Date.now() + 3_600_000) });
    await old.start();
    try {
      const res = await new Promise<string>((resolve) => {
        http
          .request(
            {
              host: '127.0.0.1',
              port: old.port,
              path: `${good.pathname}${good.search}`,
              headers: { host: good.host },
            },
            (x) => {
              let b = '';
              x.on('data', (c) => {
                b += c;
              });
              x.on('end', () => resolve(b));
            },
          )
          .end();
      });
      expect(res).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');
    } finally {
      await old.close();
    }
    expect((await send(await presignGet(wrongKey))).body).toContain('<Code>InvalidAccessKeyId</Code>');
    const unsigned = await send(`https://example-data-bucket.s3.us-east-1.amazonaws.com/${key}`);
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toContain('<Code>AccessDenied</Code>');
  });
});

describe('lab S3 endpoint through the AWS SDK (header-signed requests)', () => {
  const sdk = () =>
    new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${lab.port}`,
      forcePathStyle: true,
      credentials: LAB_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });

  it('puts, heads, gets, lists with continuation and deletes', async () => {
    const c = sdk();
    for (const k of ['runs/a.json', 'runs/b.json', 'runs/c.json', 'other/x.json']) {
      await c.send(new PutObjectCommand({ Bucket: 'results', Key: k, Body: `{"k":"${k}"}` }));
    }
    const head = await c.send(new HeadObjectCommand({ Bucket: 'results', Key: 'runs/a.json' }));
    expect(head.ContentLength).toBe(Buffer.byteLength('{"k":"runs/a.json"}'));
    const got = await c.send(new GetObjectCommand({ Bucket: 'results', Key: 'runs/b.json' }));
    expect(await got.Body?.transformToString()).toBe('{"k":"runs/b.json"}');
    const p1 = await c.send(new ListObjectsV2Command({ Bucket: 'results', Prefix: 'runs/', MaxKeys: 2 }));
    expect(p1.Contents?.map((o) => o.Key)).toEqual(['runs/a.json', 'runs/b.json']);
    expect(p1.IsTruncated).toBe(true);
    const p2 = await c.send(
      new ListObjectsV2Command({
        Bucket: 'results',
        Prefix: 'runs/',
        ContinuationToken: p1.NextContinuationToken,
      }),
    );
    expect(p2.Contents?.map((o) => o.Key)).toEqual(['runs/c.json']);
    const after = await c.send(
      new ListObjectsV2Command({ Bucket: 'results', Prefix: 'runs/', StartAfter: 'runs/a.json' }),
    );
    expect(after.KeyCount).toBe(2);
    await c.send(new DeleteObjectCommand({ Bucket: 'results', Key: 'runs/c.json' }));
    await expect(
      c.send(new HeadObjectCommand({ Bucket: 'results', Key: 'runs/c.json' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('honours conditional writes: If-None-Match * and If-Match', async () => {
    const c = sdk();
    const first = await c.send(
      new PutObjectCommand({ Bucket: 'results', Key: 'state/alerts.json', Body: '{}', IfNoneMatch: '*' }),
    );
    await expect(
      c.send(
        new PutObjectCommand({ Bucket: 'results', Key: 'state/alerts.json', Body: '{}', IfNoneMatch: '*' }),
      ),
    ).rejects.toMatchObject({ name: 'PreconditionFailed' });
    await c.send(
      new PutObjectCommand({
        Bucket: 'results',
        Key: 'state/alerts.json',
        Body: '{"a":1}',
        IfMatch: first.ETag,
      }),
    );
    await expect(
      c.send(
        new PutObjectCommand({
          Bucket: 'results',
          Key: 'state/alerts.json',
          Body: '{"a":2}',
          IfMatch: first.ETag,
        }),
      ),
    ).rejects.toMatchObject({ name: 'PreconditionFailed' });
  });

  it('refuses a header-signed request with a wrong key or a wrong secret', async () => {
    const wrongId = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${lab.port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAWRONGWRONGWRONG0', secretAccessKey: 'x' },
    });
    await expect(
      wrongId.send(new GetObjectCommand({ Bucket: 'results', Key: 'runs/a.json' })),
    ).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    const wrongSecret = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${lab.port}`,
      forcePathStyle: true,
      credentials: { ...LAB_CREDENTIALS, secretAccessKey: 'not-the-secret' },
    });
    await expect(
      wrongSecret.send(new GetObjectCommand({ Bucket: 'results', Key: 'runs/a.json' })),
    ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    const rec = parseAccessLogString(lab.accessLog.at(-1)!.line);
    expect(rec.ok && rec.value).toMatchObject({
      httpStatus: 403,
      errorCode: 'SignatureDoesNotMatch',
      authenticationType: 'AuthHeader',
    });
  });

  it('signs the headers a presigned URL lists besides host: the same Content-Type passes, another fails', async () => {
    const url = await getSignedUrl(
      client,
      new PutObjectCommand({
        Bucket: 'results',
        Key: 'observations/r/typed.json',
        ContentType: 'application/json',
      }),
      { expiresIn: 900, signableHeaders: new Set(['content-type']) },
    );
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    const wrong = await send(url, 'PUT', '{}', { 'content-type': 'text/html' });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(lab.getObject('results', 'observations/r/typed.json')).toBeNull();
    expect((await send(url, 'PUT', '{}', { 'content-type': 'application/json' })).status).toBe(200);
    expect(lab.getObject('results', 'observations/r/typed.json')?.toString()).toBe('{}');
  });

  it('refuses a header-signed request whose clock is more than 15 minutes off', async () => {
    const skewed = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${lab.port}`,
      forcePathStyle: true,
      credentials: LAB_CREDENTIALS,
      systemClockOffset: -20 * 60_000,
      // One attempt: the SDK would otherwise correct its clock from the answer and retry.
      maxAttempts: 1,
    });
    await expect(
      skewed.send(new HeadObjectCommand({ Bucket: 'example-data-bucket', Key: key })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    const rec = parseAccessLogString(lab.accessLog.at(-1)!.line);
    expect(rec.ok && rec.value).toMatchObject({ httpStatus: 403, errorCode: 'RequestTimeTooSkewed' });
  });
});
