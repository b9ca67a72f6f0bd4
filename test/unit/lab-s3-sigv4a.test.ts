import { sign } from 'node:crypto';
import http from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4a } from '@aws-sdk/signature-v4a';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSha256, presignMrapGet } from '../../functions/aws/mrap-presigner.js';
import { SdkPresigner } from '../../functions/aws/presigner.js';
import { LAB_S3_CREDENTIAL, type LabS3, startLabS3, verifySigV4 } from '../../functions/lab/s3/index.js';
import {
  deriveSigV4aKeyPair,
  regionSetCovers,
  sigV4aStringToSign,
  verifySigV4aSignature,
} from '../../functions/lab/s3/sigv4a.js';
import { parseAccessLogString } from '../../shared/access-logs/index.js';

const BUCKET = 'example-data-bucket';
const ALIAS = 'mfzwi23gnjvgw.mrap';
const MRAP_ARN = `arn:aws:s3::123456789012:accesspoint/${ALIAS}`;
const MRAP_HOST = `${ALIAS}.accesspoint.s3-global.amazonaws.com`;
const KEY = 'pathguard/probes/2026/12/03/01JDQ7ZT0000000000000000AA.bin';

/**
 * AWS's SigV4a test suite (awslabs/aws-c-auth, tests/aws-signing-test-suite/v4a/): the example
 * credentials of the AWS documentation, and the public key their derived signing key must have
 * (`get-vanilla-utf8-query/public-key.json`, the same X and Y the AWS SDKs for Java and .NET and
 * the CRT's Node.js bindings test against).
 */
const AWS_EXAMPLE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  publicX: 'b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1',
  publicY: '865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518',
};

/**
 * The same suite's `get-vanilla-with-session-token` presigned (query) case, commit a81f52b: the
 * canonical request and the string to sign AWS's signer builds for it.
 */
const AWS_QUERY_CASE = {
  rawQuery:
    'X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bx-amz-security-token&X-Amz-Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&X-Amz-Region-Set=us-east-1',
  canonicalWithoutPayload: [
    'GET',
    '/',
    'X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Region-Set=us-east-1&X-Amz-Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&X-Amz-SignedHeaders=host%3Bx-amz-security-token',
    'host:example.amazonaws.com',
    'x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
    '',
    'host;x-amz-security-token',
  ].join('\n'),
  canonicalRequest: '',
  stringToSign:
    'AWS4-ECDSA-P256-SHA256\n20150830T123600Z\n20150830/service/aws4_request\nc5ff0ca5a5e671a7f8bbab5d5c55e37086ec1748b8e0e9e90d8cca0ea4677400',
};
AWS_QUERY_CASE.canonicalRequest = `${AWS_QUERY_CASE.canonicalWithoutPayload}\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`;

interface RawResponse {
  status: number;
  body: string;
}

/** A GET to the lab endpoint on loopback with the URL's own Host header, as the lab network carries it. */
function get(s3: LabS3, url: string): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: s3.address,
        port: s3.port,
        method: 'GET',
        path: `${u.pathname}${u.search}`,
        headers: { host: u.host },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const codeOf = (body: string) => /<Code>([^<]*)<\/Code>/.exec(body)?.[1];

describe('SigV4a key derivation', () => {
  it("gives the public key AWS publishes for the documentation's example credentials", () => {
    const pair = deriveSigV4aKeyPair(AWS_EXAMPLE.accessKeyId, AWS_EXAMPLE.secretAccessKey);
    const jwk = pair?.publicKey.export({ format: 'jwk' });
    expect(Buffer.from(String(jwk?.x), 'base64url').toString('hex')).toBe(AWS_EXAMPLE.publicX);
    expect(Buffer.from(String(jwk?.y), 'base64url').toString('hex')).toBe(AWS_EXAMPLE.publicY);
  });

  it('is the key the SDK signer signs with: its header signature verifies under the derived key', async () => {
    const signer = new SignatureV4a({
      credentials: LAB_S3_CREDENTIAL,
      region: '*',
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
    });
    // The SDK puts its string to sign nowhere; rebuild it from the signed headers it returns.
    const signed = await signer.sign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: MRAP_HOST,
        path: '/k',
        headers: { host: MRAP_HOST },
        query: {},
      },
      { signingDate: new Date('2026-12-03T12:00:00Z') },
    );
    const m = /Signature=([0-9a-f]+)$/.exec(signed.headers.authorization)!;
    const canonical = [
      'GET',
      '/k',
      '',
      `host:${MRAP_HOST}`,
      'x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date:20261203T120000Z',
      'x-amz-region-set:*',
      '',
      'host;x-amz-content-sha256;x-amz-date;x-amz-region-set',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ].join('\n');
    const sts = sigV4aStringToSign('20261203T120000Z', '20261203/s3/aws4_request', canonical);
    const { accessKeyId, secretAccessKey } = LAB_S3_CREDENTIAL;
    expect(verifySigV4aSignature(accessKeyId, secretAccessKey, sts, m[1]!)).toBe(true);
    expect(verifySigV4aSignature(accessKeyId, secretAccessKey, `${sts} `, m[1]!)).toBe(false);
    expect(verifySigV4aSignature('AKIAIOSFODNN7OTHER01', secretAccessKey, sts, m[1]!)).toBe(false);
  });
});

describe('SigV4a canonical request and string to sign', () => {
  it("builds AWS's canonical request and string to sign for its presigned test case", () => {
    // The case signs for service `service` with the empty payload's hash: the lab (S3) answers
    // SignatureDoesNotMatch and shows what it computed, which is AWS's text but for S3's payload line.
    const outcome = verifySigV4(
      {
        method: 'GET',
        rawPath: '/',
        rawQuery: `${AWS_QUERY_CASE.rawQuery}&X-Amz-Expires=3600&X-Amz-Signature=3046`,
        headers: {
          host: 'example.amazonaws.com',
          'x-amz-security-token': '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
        },
        bodySha256: '',
      },
      new Map([['AKIDEXAMPLE', { ...AWS_EXAMPLE, principalArn: 'arn:aws:iam::123456789012:user/example' }]]),
      new Date('2015-08-30T12:40:00Z'),
    );
    expect(outcome).toMatchObject({ kind: 'error', code: 'SignatureDoesNotMatch' });
    const details = new Map(outcome.kind === 'error' ? outcome.details : []);
    const canonical = details.get('CanonicalRequest')!;
    const withoutExpires = canonical.replace('&X-Amz-Expires=3600', '');
    expect(withoutExpires).toBe(`${AWS_QUERY_CASE.canonicalWithoutPayload}\nUNSIGNED-PAYLOAD`);
    // With AWS's own payload line the string to sign is AWS's, byte for byte.
    expect(
      sigV4aStringToSign(
        '20150830T123600Z',
        '20150830/service/aws4_request',
        AWS_QUERY_CASE.canonicalRequest,
      ),
    ).toBe(AWS_QUERY_CASE.stringToSign);
  });

  it('accepts a signature made with the derived private key over that string to sign', () => {
    const pair = deriveSigV4aKeyPair(AWS_EXAMPLE.accessKeyId, AWS_EXAMPLE.secretAccessKey)!;
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const sig = sign('sha256', Buffer.from(AWS_QUERY_CASE.stringToSign), {
      key: { ...jwk, d: pair.privateKey.toString('base64url') },
      format: 'jwk',
    }).toString('hex');
    expect(
      verifySigV4aSignature(
        AWS_EXAMPLE.accessKeyId,
        AWS_EXAMPLE.secretAccessKey,
        AWS_QUERY_CASE.stringToSign,
        sig,
      ),
    ).toBe(true);
  });
});

describe('SigV4a Region sets', () => {
  it.each([
    ['*', 'eu-west-1', true],
    ['us-east-1', 'us-east-1', true],
    ['us-east-1,us-west-*', 'us-west-2', true],
    ['us-west-*', 'us-east-1', false],
    ['us-east-1', 'us-east-2', false],
  ])('%s covers %s: %s', (set, region, covers) => {
    expect(regionSetCovers(set, region)).toBe(covers);
  });
});

describe('lab S3 endpoint: Multi-Region Access Point requests signed with SigV4a', () => {
  let s3: LabS3;
  let clock = new Date();
  beforeAll(async () => {
    s3 = await startLabS3({
      buckets: [{ name: BUCKET, logging: { targetBucket: 'logs', targetPrefix: '' } }, { name: 'logs' }],
      multiRegionAccessPoints: [{ alias: ALIAS, bucket: BUCKET }],
      now: () => clock,
    });
    s3.putObject(BUCKET, KEY, 'probe bytes');
  });
  afterAll(async () => {
    await s3.close();
  });

  const presign = (expiresInSeconds = 900, credentials = LAB_S3_CREDENTIAL) =>
    new SdkPresigner({ credentials }).presignGet({
      bucket: BUCKET,
      key: KEY,
      region: 'us-east-1',
      style: 'mrap',
      mrapArn: MRAP_ARN,
      expiresInSeconds,
    });

  it('serves a URL the SDK-based presigner signed, from the bucket the alias names', async () => {
    clock = new Date();
    const url = await presign();
    const u = new URL(url);
    expect(u.hostname).toBe(MRAP_HOST);
    expect(u.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-ECDSA-P256-SHA256');
    expect(u.searchParams.get('X-Amz-Region-Set')).toBe('*');
    expect(u.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAIOSFODNN7LAB0001\/\d{8}\/s3\/aws4_request$/);
    const r = await get(s3, url);
    expect(r).toEqual({ status: 200, body: 'probe bytes' });
    const line = s3.accessLogLines(BUCKET).at(-1)!;
    const rec = parseAccessLogString(line);
    expect(rec).toMatchObject({
      ok: true,
      value: { bucket: BUCKET, hostHeader: MRAP_HOST, authenticationType: 'QueryString' },
    });
  });

  it('refuses a tampered URL with SignatureDoesNotMatch: key, Region set and signature are covered', async () => {
    clock = new Date();
    const url = await presign();
    const otherKey = url.replace('01JDQ7ZT0000000000000000AA', '01JDQ7ZT0000000000000000AB');
    const narrower = url.replace('X-Amz-Region-Set=%2A', 'X-Amz-Region-Set=us-east-1');
    expect(narrower).not.toBe(url);
    const sig = new URL(url).searchParams.get('X-Amz-Signature')!;
    const flipped = url.replace(sig, `${sig.slice(0, -2)}${sig.endsWith('00') ? '01' : '00'}`);
    for (const bad of [otherKey, narrower, flipped]) {
      const r = await get(s3, bad);
      expect(r.status).toBe(403);
      expect(codeOf(r.body)).toBe('SignatureDoesNotMatch');
    }
  });

  it('answers an expired URL as S3 does: 403 AccessDenied, Request has expired', async () => {
    clock = new Date();
    const url = await presign(60);
    clock = new Date(Date.now() + 61_000);
    const r = await get(s3, url);
    expect(r.status).toBe(403);
    expect(codeOf(r.body)).toBe('AccessDenied');
    expect(r.body).toContain('Request has expired');
  });

  it('refuses an unknown access key and an unknown alias', async () => {
    clock = new Date();
    const stranger = await presign(900, { ...LAB_S3_CREDENTIAL, accessKeyId: 'AKIAIOSFODNN7OTHER01' });
    expect(codeOf((await get(s3, stranger)).body)).toBe('InvalidAccessKeyId');
    const unknown = (await presign()).replace(ALIAS, 'aaaaaaaaaaaaa.mrap');
    const r = await get(s3, unknown);
    expect(r.status).toBe(404);
    expect(codeOf(r.body)).toBe('NoSuchBucket');
  });

  it('never repeats the signature of a refused request in the error body', async () => {
    clock = new Date();
    const url = await presign();
    const sig = new URL(url).searchParams.get('X-Amz-Signature')!;
    const r = await get(s3, url.replace(sig, sig.replace(/^30/, '31')));
    expect(r.body).not.toContain(sig);
  });

  it('presigns with the SDK signer directly for a session credential, and the token is signed', async () => {
    clock = new Date();
    const client = new S3Client({
      region: 'us-east-1',
      credentials: { ...LAB_S3_CREDENTIAL, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN' },
    });
    const url = await presignMrapGet(client, { mrapArn: MRAP_ARN, key: KEY, expiresInSeconds: 300 });
    expect(new URL(url).searchParams.get('X-Amz-Security-Token')).toBe('IQoJb3JpZ2luX2VjEXAMPLETOKEN');
    expect((await get(s3, url)).status).toBe(200);
    const changed = url.replace('EXAMPLETOKEN', 'EXAMPLETOKEX');
    expect(codeOf((await get(s3, changed)).body)).toBe('SignatureDoesNotMatch');
  });
});
