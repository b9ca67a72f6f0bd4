import { describe, expect, it } from 'vitest';
import { SdkPresigner } from '../../functions/aws/presigner.js';
import { redactUrl } from '../../shared/endpoints/index.js';

// Fake static credentials: presigning is local computation, no request leaves the process.
const presigner = new SdkPresigner({
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
});
const base = {
  bucket: 'example-data-bucket',
  key: 'pathguard/probes/2026/11/25/01J.bin',
  expiresInSeconds: 900,
};

describe('SdkPresigner hosts per endpoint style (AWS SDK for JavaScript v3)', () => {
  const cases: [Parameters<SdkPresigner['presignGet']>[0], string][] = [
    [{ ...base, region: 'us-east-1', style: 'regional' }, 'example-data-bucket.s3.us-east-1.amazonaws.com'],
    [{ ...base, region: 'us-east-1', style: 'global' }, 'example-data-bucket.s3.amazonaws.com'],
    [{ ...base, region: 'eu-west-1', style: 'global' }, 'example-data-bucket.s3.eu-west-1.amazonaws.com'],
    [{ ...base, region: 'us-west-2', style: 'path-style' }, 's3.us-west-2.amazonaws.com'],
    [
      { ...base, region: 'us-west-2', style: 'dualstack' },
      'example-data-bucket.s3.dualstack.us-west-2.amazonaws.com',
    ],
    [{ ...base, region: 'us-west-2', style: 'fips' }, 'example-data-bucket.s3-fips.us-west-2.amazonaws.com'],
    [
      { ...base, region: 'us-west-2', style: 'accelerate' },
      'example-data-bucket.s3-accelerate.amazonaws.com',
    ],
    [
      {
        ...base,
        region: 'us-east-1',
        style: 'interface-endpoint',
        interfaceEndpointDns: 'bucket.vpce-0a1b2c3d4e5f67890-abcdefgh.s3.us-east-1.vpce.amazonaws.com',
      },
      'example-data-bucket.bucket.vpce-0a1b2c3d4e5f67890-abcdefgh.s3.us-east-1.vpce.amazonaws.com',
    ],
    [
      {
        ...base,
        region: 'us-west-2',
        style: 'access-point',
        accessPointArn: 'arn:aws:s3:us-west-2:123456789012:accesspoint/probes',
      },
      'probes-123456789012.s3-accesspoint.us-west-2.amazonaws.com',
    ],
  ];
  for (const [req, host] of cases) {
    it(`${req.style} in ${req.region} → ${host}`, async () => {
      const url = new URL(await presigner.presignGet(req));
      expect(url.hostname).toBe(host);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('host');
    });
  }

  it('presigns MRAP with SigV4a for the Region set * on the global access point host', async () => {
    const url = new URL(
      await presigner.presignGet({
        ...base,
        region: 'us-east-1',
        style: 'mrap',
        mrapArn: 'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap',
      }),
    );
    expect(url.hostname).toBe('mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com');
    expect(url.pathname).toBe(`/${base.key}`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      'X-Amz-Algorithm': 'AWS4-ECDSA-P256-SHA256',
      'X-Amz-Region-Set': '*',
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
    });
    // SigV4a's scope has no Region: <key>/<date>/s3/aws4_request.
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^[A-Z0-9]+\/\d{8}\/s3\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^30[0-9a-f]{80,}$/);
  });

  it('refuses an MRAP ARN the endpoint rules do not sign with SigV4a, and an expiry over seven days', async () => {
    const mrap = { ...base, region: 'us-east-1', style: 'mrap' as const };
    await expect(
      presigner.presignGet({ ...mrap, mrapArn: 'arn:aws:s3:us-west-2:123456789012:accesspoint/probes' }),
    ).rejects.toMatchObject({ code: 'MRAP_PRESIGN_FAILED', message: expect.stringContaining('not sigv4a') });
    await expect(
      presigner.presignGet({
        ...mrap,
        mrapArn: 'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap',
        expiresInSeconds: 604_801,
      }),
    ).rejects.toMatchObject({ code: 'MRAP_PRESIGN_FAILED' });
  });

  it('refuses MRAP without an ARN, naming what is missing', async () => {
    await expect(presigner.presignGet({ ...base, region: 'us-east-1', style: 'mrap' })).rejects.toMatchObject(
      { code: 'STYLE_NOT_SUPPORTED', message: expect.stringContaining('mrapArn') },
    );
  });

  it('presigns PUT URLs against a custom endpoint (the lab S3) in path style', async () => {
    const lab = new SdkPresigner({
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      endpoint: 'http://127.0.0.1:9000',
    });
    const url = new URL(
      await lab.presignPut({
        bucket: 'example-pathguard-results',
        key: 'observations/r/p.json',
        region: 'us-east-1',
        expiresInSeconds: 300,
        contentType: 'application/json',
      }),
    );
    expect(url.host).toBe('127.0.0.1:9000');
    expect(url.pathname).toBe('/example-pathguard-results/observations/r/p.json');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    // Probe GETs stay on the style's real host: the endpoint is for reports and store calls only.
    const get = await lab.presignGet({ ...base, region: 'us-east-1', style: 'regional' });
    expect(new URL(get).hostname).toBe('example-data-bucket.s3.us-east-1.amazonaws.com');
  });

  it('presigns PUT URLs for observation reports, which redact to no secret', async () => {
    const url = await presigner.presignPut({
      bucket: 'example-pathguard-results',
      key: 'observations/r/p.json',
      region: 'us-east-1',
      expiresInSeconds: 900,
    });
    expect(new URL(url).hostname).toBe('example-pathguard-results.s3.us-east-1.amazonaws.com');
    const red = redactUrl(url);
    expect(red).not.toContain(new URL(url).searchParams.get('X-Amz-Signature')!);
    expect(red).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});

describe('SdkPresigner uploads (put: PutObject URL; post: POST form)', () => {
  const sha256Base64 = 'Vh3o+ZRKqfV8PZDhnkNXuSBYdSmnjNzX6ZKHRhtUW0E=';
  const upload = { ...base, region: 'us-east-1', size: 64, sha256Base64 };

  it.each([
    ['regional', 'example-data-bucket.s3.us-east-1.amazonaws.com'],
    ['global', 'example-data-bucket.s3.amazonaws.com'],
    ['accelerate', 'example-data-bucket.s3-accelerate.amazonaws.com'],
  ] as const)(
    'put, %s: the length and the checksum are signed headers, never hoisted into the query',
    async (style, host) => {
      const r = await presigner.presignUpload({ ...upload, style, method: 'put' });
      expect(r.method).toBe('put');
      if (r.method !== 'put') return;
      const url = new URL(r.url);
      expect(url.hostname).toBe(host);
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;x-amz-checksum-sha256');
      // S3 does not check a checksum in a presigned PUT's query (aws-sdk-js-v3#3906).
      expect([...url.searchParams.keys()].some((k) => /checksum/i.test(k))).toBe(false);
      expect(url.searchParams.get('x-id')).toBe('PutObject');
    },
  );

  it.each([
    ['regional', 'https://example-data-bucket.s3.us-east-1.amazonaws.com/'],
    ['global', 'https://example-data-bucket.s3.amazonaws.com/'],
    ['path-style', 'https://s3.us-east-1.amazonaws.com/example-data-bucket'],
  ] as const)(
    "post, %s: a form for the style's host whose policy allows this key and exactly size bytes",
    async (style, formUrl) => {
      const r = await presigner.presignUpload({ ...upload, style, method: 'post' });
      expect(r.method).toBe('post');
      if (r.method !== 'post') return;
      expect(r.form.url).toBe(formUrl);
      expect(r.form.fields.key).toBe(base.key);
      const policy = JSON.parse(Buffer.from(r.form.fields.Policy!, 'base64').toString('utf8'));
      expect(policy.conditions).toContainEqual(['content-length-range', 64, 64]);
      expect(policy.conditions).toContainEqual({ key: base.key });
      expect(policy.conditions).toContainEqual({ bucket: 'example-data-bucket' });
      const ttl = Date.parse(policy.expiration) - Date.now();
      expect(ttl).toBeGreaterThan(890_000);
      expect(ttl).toBeLessThanOrEqual(900_000);
    },
  );
});
