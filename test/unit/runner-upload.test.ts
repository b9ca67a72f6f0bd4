import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAB_S3_CREDENTIAL, type LabS3, startLabS3 } from '../../functions/lab/s3/index.js';
import { multipartBoundary, parseMultipartForm } from '../../functions/lab/s3/multipart.js';
import { fetchProbe } from '../../functions/runner/fetch.js';
import { multipartFormData, type ProbeRequest } from '../../functions/runner/upload.js';
import { parseAccessLogString } from '../../shared/access-logs/index.js';
import type { PresignedPostForm } from '../../shared/endpoints/post-form.js';

const BUCKET = 'example-data-bucket';
const LOGS = 'example-access-logs';
const KEY = 'pathguard/probes/2026/12/03/01KBKZ0000000000000000000.bin';
const cert = {
  key: readFileSync(new URL('../fixtures/tls/test-only-localhost.key', import.meta.url)),
  cert: readFileSync(new URL('../fixtures/tls/test-only-localhost.crt', import.meta.url)),
};

let clock = Date.now();
let s3: LabS3;
let proxy: net.Server;
let httpsEndpoint = '';
beforeEach(async () => {
  clock = Date.now();
  s3 = await startLabS3({
    now: () => new Date(clock),
    buckets: [{ name: BUCKET, logging: { targetBucket: LOGS, targetPrefix: '' } }, { name: LOGS }],
  });
  // TLS in front of the lab endpoint: the runner's HTTPS path, certificate checked against the test CA.
  proxy = tls.createServer(cert, (c) => {
    const up = net.connect(s3.port, s3.address);
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  httpsEndpoint = `https://localhost:${(proxy.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((r) => proxy.close(r));
  await s3.close();
});

const localhost = (
  _h: string,
  _o: unknown,
  cb: (e: null, a: { address: string; family: number }[]) => void,
) => cb(null, [{ address: '127.0.0.1', family: 4 }]);
const opts = {
  runnerId: 'onprem-dc1',
  probeId: '01KBKZ0000000000000000000',
  vantageKind: 'onprem' as const,
  ca: cert.cert,
  lookup: localhost,
};

function client(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: LAB_S3_CREDENTIAL,
  });
}
const sha256 = (b: Uint8Array, enc: 'hex' | 'base64') => createHash('sha256').update(b).digest(enc);
const md5 = (b: Uint8Array) => `"${createHash('md5').update(b).digest('hex')}"`;

async function presignPut(endpoint: string, body: Uint8Array, key = KEY): Promise<string> {
  return getSignedUrl(
    client(endpoint),
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      ContentLength: body.length,
      ChecksumSHA256: sha256(body, 'base64'),
    }),
    { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-checksum-sha256']) },
  );
}

async function presignPost(
  endpoint: string,
  size: number,
  extra: { conditions?: unknown[]; fields?: Record<string, string>; expires?: number } = {},
): Promise<PresignedPostForm> {
  const form = await createPresignedPost(client(endpoint), {
    Bucket: BUCKET,
    Key: KEY,
    Conditions: [['content-length-range', size, size], ...((extra.conditions ?? []) as [])],
    ...(extra.fields ? { Fields: extra.fields } : {}),
    Expires: extra.expires ?? 300,
  });
  return { url: form.url, fields: { ...form.fields } };
}

function logRecords() {
  return s3.accessLogLines(BUCKET).map((l) => {
    const r = parseAccessLogString(l);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  });
}

/** One raw PUT to a presigned URL of the lab with the given checksum header (what the runner would not send). */
function putRaw(url: string, body: Buffer, checksum: string) {
  const u = new URL(url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: s3.address,
        port: s3.port,
        method: 'PUT',
        path: `${u.pathname}${u.search}`,
        headers: { host: u.host, 'content-length': body.length, 'x-amz-checksum-sha256': checksum },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One raw POST of a form to the lab (for forms the runner would never send). */
function postRaw(fields: Record<string, string>, file: Uint8Array | null, path = `/${BUCKET}`) {
  const boundary = 'test-boundary-0123';
  const body = file
    ? multipartFormData(fields, file, boundary)
    : Buffer.from(
        `${Object.entries(fields)
          .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
          .join('')}--${boundary}--\r\n`,
      );
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: s3.address,
        port: s3.port,
        method: 'POST',
        path,
        headers: {
          host: `127.0.0.1:${s3.port}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('runner uploads to the lab S3 endpoint on loopback', () => {
  it.each(['http', 'https'])(
    'PUT over %s: the exact bytes stored, 200 with the ETag, both request ids, and REST.PUT.OBJECT in the access log',
    async (scheme) => {
      const body = randomBytes(64);
      const endpoint = scheme === 'https' ? httpsEndpoint : s3.endpoint;
      const url = await presignPut(endpoint, body);
      const obs = await fetchProbe({ method: 'put', url, body }, opts);
      expect(obs.error).toBeNull();
      expect(obs.method).toBe('put');
      expect(obs.httpStatus).toBe(200);
      expect(obs.etag).toBe(md5(body));
      expect(obs.requestId).toMatch(/^[0-9A-F]{16}$/);
      expect(obs.hostId).not.toBeNull();
      expect(obs.bodyMatches).toBeNull();
      if (scheme === 'https') expect(obs.tls?.version).toMatch(/^TLSv1\.[23]$/);
      expect(s3.getObject(BUCKET, KEY)?.equals(body)).toBe(true);
      const [rec] = logRecords();
      expect(rec).toMatchObject({
        operation: 'REST.PUT.OBJECT',
        requestId: obs.requestId,
        httpStatus: 200,
        authenticationType: 'QueryString',
      });
      expect(rec?.key).toBe(KEY);
      // The observation is stored and printed: no signature in it.
      expect(JSON.stringify(obs)).not.toContain(new URL(url).searchParams.get('X-Amz-Signature')!);
    },
  );

  it.each(['http', 'https'])(
    'POST over %s: the form then the file, 204 with the ETag, and REST.POST.OBJECT with the form key in the access log',
    async (scheme) => {
      const body = randomBytes(64);
      const form = await presignPost(scheme === 'https' ? httpsEndpoint : s3.endpoint, 64);
      const obs = await fetchProbe({ method: 'post', form, body }, opts);
      expect(obs.error).toBeNull();
      expect(obs.method).toBe('post');
      expect(obs.httpStatus).toBe(204);
      expect(obs.etag).toBe(md5(body));
      expect(s3.getObject(BUCKET, KEY)?.equals(body)).toBe(true);
      const [rec] = logRecords();
      expect(rec).toMatchObject({
        operation: 'REST.POST.OBJECT',
        requestId: obs.requestId,
        httpStatus: 204,
        key: KEY,
      });
      expect(rec?.requestUri).toBe(`POST /${BUCKET} HTTP/1.1`);
      const text = JSON.stringify(obs);
      expect(text).not.toContain(form.fields['X-Amz-Signature']!);
      expect(text).not.toContain(LAB_S3_CREDENTIAL.accessKeyId);
    },
  );

  it('POST answers 201 with a PostResponse when success_action_status asks for it', async () => {
    const body = randomBytes(64);
    const form = await presignPost(s3.endpoint, 64, { fields: { success_action_status: '201' } });
    const obs = await fetchProbe({ method: 'post', form, body }, opts);
    expect(obs.httpStatus).toBe(201);
    expect(obs.etag).toBe(md5(body));
    expect(obs.bodyBytes).toBeGreaterThan(0);
  });

  it('PUT of other bytes of the signed length: refused, whether the checksum sent follows the bytes or is the signed one', async () => {
    const body = randomBytes(64);
    const url = await presignPut(s3.endpoint, body);
    const other = Buffer.from(body);
    other[0] = (other[0]! + 1) % 256;
    // The runner sends the checksum of what it sends: not the signed header value.
    const obs = await fetchProbe({ method: 'put', url, body: other }, opts);
    expect(obs).toMatchObject({
      httpStatus: 403,
      s3ErrorCode: 'SignatureDoesNotMatch',
      error: { code: 'HTTP_ERROR' },
    });
    // The signed checksum with other bytes: S3 recomputes it over the bytes received.
    expect((await putRaw(url, other, sha256(body, 'base64'))).body).toContain('<Code>BadDigest</Code>');
    expect(s3.getObject(BUCKET, KEY)).toBeUndefined();
  });

  it('PUT of another length: 403 SignatureDoesNotMatch (the length is a signed header)', async () => {
    const url = await presignPut(s3.endpoint, randomBytes(64));
    const obs = await fetchProbe({ method: 'put', url, body: randomBytes(65) }, opts);
    expect(obs).toMatchObject({ httpStatus: 403, s3ErrorCode: 'SignatureDoesNotMatch' });
    expect(s3.getObject(BUCKET, KEY)).toBeUndefined();
  });

  it('POST after the policy expired: 403 AccessDenied "Invalid according to Policy: Policy expired."', async () => {
    const form = await presignPost(s3.endpoint, 64, { expires: 60 });
    clock += 61_000;
    const obs = await fetchProbe({ method: 'post', form, body: randomBytes(64) }, opts);
    expect(obs).toMatchObject({
      httpStatus: 403,
      s3ErrorCode: 'AccessDenied',
      s3ErrorMessage: 'Invalid according to Policy: Policy expired.',
    });
  });

  it('POST of more or fewer bytes than the content-length-range: EntityTooLarge / EntityTooSmall', async () => {
    const form = await presignPost(s3.endpoint, 64);
    expect(await fetchProbe({ method: 'post', form, body: randomBytes(65) }, opts)).toMatchObject({
      httpStatus: 400,
      s3ErrorCode: 'EntityTooLarge',
    });
    expect(await fetchProbe({ method: 'post', form, body: randomBytes(63) }, opts)).toMatchObject({
      httpStatus: 400,
      s3ErrorCode: 'EntityTooSmall',
    });
    expect(s3.getObject(BUCKET, KEY)).toBeUndefined();
  });

  it('never follows a redirect of an upload (a 307 is evidence)', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(307, { location: `https://${BUCKET}.s3.eu-west-1.amazonaws.com/` });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const form = { url: `http://127.0.0.1:${port}/${BUCKET}`, fields: { key: KEY } };
    const obs = await fetchProbe({ method: 'post', form, body: randomBytes(64) }, opts);
    expect(obs).toMatchObject({ httpStatus: 307, redirectHost: `${BUCKET}.s3.eu-west-1.amazonaws.com` });
    await new Promise((r) => server.close(r));
  });
});

describe('lab S3 endpoint: bad POST forms answered as S3 answers them', () => {
  const file = Buffer.alloc(64, 1);
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('a key the policy does not allow: AccessDenied, Policy Condition failed', async () => {
    const form = await presignPost(s3.endpoint, 64);
    const r = await postRaw({ ...form.fields, key: 'elsewhere/object.bin' }, file);
    // The signature covers the policy, not the fields: the key is caught by the condition.
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>AccessDenied</Code>');
    expect(r.body).toContain(
      `Invalid according to Policy: Policy Condition failed: [&quot;eq&quot;, &quot;$key&quot;, &quot;${KEY}&quot;]`,
    );
    expect(s3.listKeys(BUCKET)).toEqual([]);
  });

  it('a field the policy does not name: AccessDenied, Extra input fields', async () => {
    const form = await presignPost(s3.endpoint, 64);
    const r = await postRaw({ ...form.fields, 'x-amz-meta-owner': 'someone' }, file);
    expect(r.status).toBe(403);
    expect(r.body).toContain('Invalid according to Policy: Extra input fields: x-amz-meta-owner');
  });

  it('a starts-with condition allows any key under its prefix and refuses others', async () => {
    const form = await createPresignedPost(client(s3.endpoint), {
      Bucket: BUCKET,
      Key: 'uploads/${filename}',
      Conditions: [['starts-with', '$key', 'uploads/']],
      Expires: 300,
    });
    // The SDK also adds {"key": "uploads/${filename}"}: S3 compares the key as sent.
    expect((await postRaw({ ...form.fields }, file)).status).toBe(204);
    expect(s3.listKeys(BUCKET)).toEqual(['uploads/probe.bin']);
  });

  it('a missing policy, a policy that is not base64, not JSON: InvalidArgument / InvalidPolicyDocument', async () => {
    const form = await presignPost(s3.endpoint, 64);
    const { Policy: _p, ...noPolicy } = form.fields;
    const missing = await postRaw(noPolicy, file);
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('Bucket POST must contain a field named &apos;policy&apos;');
    // A policy that does not read is refused as a document, whatever the signature over its text.
    const sign = async (policy: string) => {
      const { sigV4Signature } = await import('../../functions/lab/s3/sigv4.js');
      const [, date, region] = form.fields['X-Amz-Credential']!.split('/');
      return sigV4Signature(LAB_S3_CREDENTIAL.secretAccessKey, date!, region!, 's3', policy);
    };
    for (const [policy, message] of [
      ['%%%not-base64%%%', "Invalid Policy: Invalid 'Base64' encoding."],
      [b64('expiration soon'), 'Invalid Policy: Invalid JSON.'],
    ] as const) {
      const r = await postRaw(
        { ...form.fields, Policy: policy, 'X-Amz-Signature': await sign(policy) },
        file,
      );
      expect(r.status).toBe(400);
      expect(r.body).toContain('<Code>InvalidPolicyDocument</Code>');
      expect(r.body).toContain(message.replace(/'/g, '&apos;'));
    }
  });

  it('a policy changed after signing: SignatureDoesNotMatch', async () => {
    const form = await presignPost(s3.endpoint, 64);
    const loose = b64(
      JSON.stringify({ expiration: '2099-01-01T00:00:00Z', conditions: [['starts-with', '$key', '']] }),
    );
    const r = await postRaw({ ...form.fields, Policy: loose }, file);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('no key, no file, a body that is not multipart: InvalidArgument / MalformedPOSTRequest', async () => {
    const form = await presignPost(s3.endpoint, 64);
    const { key: _k, ...noKey } = form.fields;
    // The SDK's policy names the key: without one the key field is missing before any condition.
    const r1 = await postRaw(noKey, file);
    expect(r1.status).toBe(400);
    expect(r1.body).toContain('Bucket POST must contain a field named &apos;key&apos;');
    const r2 = await postRaw(form.fields, null);
    expect(r2.status).toBe(400);
    expect(r2.body).toContain('POST requires exactly one file upload per request.');
    const broken = await new Promise<number>((resolve) => {
      const req = http.request(
        {
          host: s3.address,
          port: s3.port,
          method: 'POST',
          path: `/${BUCKET}`,
          headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.end('not a form');
    });
    expect(broken).toBe(400);
  });

  it('a form with neither policy nor signature is anonymous: AccessDenied', async () => {
    const r = await postRaw({ key: KEY }, file);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Message>Access Denied</Message>');
  });
});

describe('multipart/form-data', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/).filter((n) => n.toLowerCase() !== 'file');
  const value = fc.string({ maxLength: 60 }).filter((v) => !/[\r\n]/.test(v));

  it('property: what the runner encodes, the lab reads back: every field in order (first of a name kept) and the file byte for byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, value), { maxLength: 10 }),
        fc.uint8Array({ maxLength: 200 }),
        (pairs, file) => {
          const fields = Object.fromEntries(pairs);
          const boundary = `----pathguard-${randomBytes(6).toString('hex')}`;
          const body = multipartFormData(fields, file, boundary);
          expect(multipartBoundary(`multipart/form-data; boundary=${boundary}`)).toBe(boundary);
          const form = parseMultipartForm(body, boundary);
          expect(form).not.toBeNull();
          const expected = new Map<string, string>();
          for (const [k, v] of Object.entries(fields))
            if (!expected.has(k.toLowerCase())) expected.set(k.toLowerCase(), v);
          expect(new Map([...form!.fields].map(([k, v]) => [k, v.value]))).toEqual(expected);
          expect(Buffer.compare(form!.file!.body, Buffer.from(file))).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: no body, however broken, throws the parser', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.stringMatching(/^[a-z0-9]{1,12}$/),
        (bytes, boundary) => {
          const r = parseMultipartForm(Buffer.from(bytes), boundary);
          expect(r === null || typeof r === 'object').toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: any change to a PUT body of the signed length is refused by the lab (its checksum or the signed one), the original accepted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.nat(63),
        fc.integer({ min: 1, max: 255 }),
        async (bytes, at, delta) => {
          const body = Buffer.from(bytes);
          const url = await presignPut(s3.endpoint, body, `${KEY}.${at}`);
          const changed = Buffer.from(body);
          changed[at] = (changed[at]! + delta) % 256;
          const refused = await fetchProbe(
            { method: 'put', url, body: changed } satisfies ProbeRequest,
            opts,
          );
          expect(refused.s3ErrorCode).toBe('SignatureDoesNotMatch');
          const forged = await putRaw(url, changed, sha256(body, 'base64'));
          expect(forged.status).toBe(400);
          expect(forged.body).toContain('<Code>BadDigest</Code>');
          const accepted = await fetchProbe({ method: 'put', url, body }, opts);
          expect(accepted.httpStatus).toBe(200);
          expect(accepted.etag).toBe(md5(body));
        },
      ),
      { numRuns: 15 },
    );
  });
});
