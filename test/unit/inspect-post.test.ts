// Issue 17 §2: inspect-url reads presigned POST forms. Forms made by createPresignedPost
// (@aws-sdk/s3-presigned-post), the boto3 documentation's generate_presigned_post form, and bad
// forms: each gives its readings and coded findings, never a crash, never a secret.
import type { PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import { describe, expect, it } from 'vitest';
import type { UrlFindingCode } from '../../shared/endpoints/findings.js';
import { inspectPost, type PostInspection } from '../../shared/endpoints/inspect-post.js';
import { readPostForm } from '../../shared/endpoints/post-form.js';
import { NAT_ONLY_ENV } from './nat-only-env.js';
import { boto3PresignedPost, type PostForm, policyOf, presignPost } from './presigned-posts.js';
import { LONG_TERM, SIGNED_AT, TEMPORARY } from './presigned-urls.js';

const NOW = new Date(SIGNED_AT.getTime() + 60_000);
const codes = (r: PostInspection) => r.findings.map((f) => f.code);
const finding = (r: PostInspection, code: UrlFindingCode) => r.findings.find((f) => f.code === code);

/** The secret values a form carries: signature, token, access key id, and the policy (which repeats them). */
function secretsOfForm(form: PostForm): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(form.fields)) {
    const n = k.toLowerCase();
    if (['x-amz-signature', 'signature', 'x-amz-security-token', 'awsaccesskeyid', 'policy'].includes(n))
      out.push(v);
    if (n === 'x-amz-credential') out.push(v.split('/')[0]!);
  }
  return out;
}

function expectRedacted(r: PostInspection, form: PostForm): void {
  const text = JSON.stringify(r);
  for (const s of secretsOfForm(form)) expect(text.includes(s), 'a secret reached the reading').toBe(false);
}

/** The example in the @aws-sdk/s3-presigned-post README: us-west-2, johnsmith, user/eric/1, 600 s. */
const README: PresignedPostOptions = {
  Bucket: 'johnsmith',
  Key: 'user/eric/1',
  Conditions: [
    { acl: 'bucket-owner-full-control' },
    { bucket: 'johnsmith' },
    ['starts-with', '$key', 'user/eric/'],
  ],
  Fields: { acl: 'bucket-owner-full-control' },
  Expires: 600,
};

describe('inspectPost: forms made by createPresignedPost (@aws-sdk/s3-presigned-post)', () => {
  it('reads the README example: regional endpoint, SigV4, policy expiry and conditions', async () => {
    const form = await presignPost({ region: 'us-west-2' }, README);
    const r = inspectPost(form, { now: NOW });
    expect(r).toMatchObject({
      endpointKind: 'regional',
      addressingStyle: 'virtual',
      bucket: 'johnsmith',
      key: 'user/eric/1',
      region: 'us-west-2',
      signature: {
        version: 'sigv4',
        credentialKind: 'long-term',
        signedAt: '2026-01-15T10:20:00Z',
        expiresAt: '2026-01-15T10:30:00Z',
        lifetimeSeconds: 600,
        expiresInSeconds: 540,
        signingRegion: 'us-west-2',
        hasSessionToken: false,
      },
      post: {
        policy: {
          expiration: '2026-01-15T10:30:00Z',
          bucket: 'johnsmith',
          key: { match: 'exact', value: 'user/eric/1' },
          contentLengthRange: null,
        },
      },
    });
    expect(r.post.fields['X-Amz-Credential']).toBe('REDACTED/20260115/us-west-2/s3/aws4_request');
    expect(r.post.fields.Policy).toBe('REDACTED');
    expect(codes(r)).toEqual(['POST_POLICY_NO_LENGTH_LIMIT']);
    expectRedacted(r, form);
  });

  it('a size limit, temporary credentials: TEMPORARY_CREDENTIALS, and the token is never echoed (not even inside the policy)', async () => {
    const form = await presignPost(
      { region: 'us-east-1' },
      { Bucket: 'my-bucket', Key: 'uploads/a.bin', Conditions: [['content-length-range', 1, 10_485_760]] },
      TEMPORARY,
    );
    const r = inspectPost(form, { now: NOW });
    expect(r.signature).toMatchObject({ credentialKind: 'temporary', hasSessionToken: true });
    expect(r.post.policy?.contentLengthRange).toEqual({ min: 1, max: 10_485_760 });
    // The SDK puts every field in the policy, the session token included: the condition is read, redacted.
    expect(r.post.policy?.conditions).toContain('{"X-Amz-Security-Token":"REDACTED"}');
    expect(codes(r)).toEqual(['TEMPORARY_CREDENTIALS']);
    expectRedacted(r, form);
    expect(JSON.stringify(r)).not.toContain(TEMPORARY.sessionToken);
  });

  it('POST_POLICY_BROAD_KEY: a key of ${filename} alone allows any key; a prefix does not', async () => {
    const broad = inspectPost(await presignPost({}, { Bucket: 'my-bucket', Key: '${filename}' }), {
      now: NOW,
    });
    expect(broad.post.policy?.key).toEqual({ match: 'starts-with', value: '' });
    expect(finding(broad, 'POST_POLICY_BROAD_KEY')?.severity).toBe('medium');
    const prefixed = inspectPost(await presignPost({}, { Bucket: 'my-bucket', Key: 'in/${filename}' }), {
      now: NOW,
    });
    expect(prefixed.post.policy?.key).toEqual({ match: 'starts-with', value: 'in/' });
    expect(codes(prefixed)).not.toContain('POST_POLICY_BROAD_KEY');
  });

  it('POST_POLICY_LONG_EXPIRY: the policy lives longer than the threshold (not LONG_EXPIRY, which is about URLs)', async () => {
    const form = await presignPost({}, { Bucket: 'my-bucket', Key: 'k', Expires: 7200 });
    const r = inspectPost(form, { now: NOW });
    expect(finding(r, 'POST_POLICY_LONG_EXPIRY')?.message).toContain('2 h after signing');
    expect(codes(r)).not.toContain('LONG_EXPIRY');
    expect(codes(inspectPost(form, { now: NOW, longExpirySeconds: 7200 }))).not.toContain(
      'POST_POLICY_LONG_EXPIRY',
    );
    // SDK default, 3600 s: at the default threshold, not over it.
    const hour = inspectPost(await presignPost({}, { Bucket: 'my-bucket', Key: 'k' }), { now: NOW });
    expect(codes(hour)).not.toContain('POST_POLICY_LONG_EXPIRY');
  });

  it('POST_FIELDS_VIOLATE_POLICY: a field added without its condition (the pitfall the boto3 documentation warns of)', async () => {
    // botocore: "if a particular element is included in the fields dictionary it will not be
    // automatically added to the conditions list".
    const boto = boto3PresignedPost({
      bucket: 'my-bucket',
      key: 'k',
      fields: { 'Content-Type': 'image/png' },
    });
    expect(finding(inspectPost(boto, { now: NOW }), 'POST_FIELDS_VIOLATE_POLICY')?.message).toContain(
      'no condition names field "content-type"',
    );
    // createPresignedPost adds a condition for every field it returns: the same field is covered.
    const js = await presignPost(
      {},
      { Bucket: 'my-bucket', Key: 'k', Fields: { 'Content-Type': 'image/png' } },
    );
    expect(codes(inspectPost(js, { now: NOW }))).not.toContain('POST_FIELDS_VIOLATE_POLICY');
    // A field that breaks its condition.
    const wrongKey = { ...js, fields: { ...js.fields, key: 'other' } };
    expect(finding(inspectPost(wrongKey, { now: NOW }), 'POST_FIELDS_VIOLATE_POLICY')?.message).toContain(
      'field "key" is "other", the policy requires it to be "k"',
    );
  });

  it('the legacy global endpoint, and the expected path per vantage from an environment', async () => {
    const form = await presignPost(
      { region: 'us-east-1', useGlobalEndpoint: true },
      { Bucket: 'my-bucket', Key: 'k' },
    );
    const r = inspectPost(form, { now: NOW, env: ENV });
    expect(r).toMatchObject({ endpointKind: 'global', region: 'us-east-1' });
    expect(r.expectedPath).toMatchObject({ vpc: 'nat-gateway', onprem: 'public' });
    expect(codes(r)).toEqual(
      expect.arrayContaining(['LEGACY_GLOBAL_ENDPOINT', 'VPC_NOT_PRIVATE', 'ONPREM_NOT_PRIVATE']),
    );
  });
});

/**
 * The boto3 guide's form ("Presigned URLs", "Generating a presigned URL to upload a file",
 * boto/boto3 docs/source/guide/s3-presigned-urls.rst): `create_presigned_post('amzn-s3-demo-bucket',
 * 'OBJECT_NAME')` with a default client, posted with the fields `key`, `AWSAccessKeyId`, `policy`
 * and `signature` the guide's HTML form lists (botocore presigns with SigV2 in us-east-1 by
 * default, aws-facts §6.2).
 */
describe('inspectPost: the boto3 documentation form (generate_presigned_post)', () => {
  it('reads the guide example as botocore makes it: global endpoint, SigV2, exact key, no size limit', () => {
    const form = boto3PresignedPost({ bucket: 'amzn-s3-demo-bucket', key: 'OBJECT_NAME' });
    expect(Object.keys(form.fields).sort()).toEqual(['AWSAccessKeyId', 'key', 'policy', 'signature']);
    const r = inspectPost(form, { now: NOW, env: ENV });
    expect(r).toMatchObject({
      url: 'https://amzn-s3-demo-bucket.s3.amazonaws.com/',
      endpointKind: 'global',
      bucket: 'amzn-s3-demo-bucket',
      key: 'OBJECT_NAME',
      region: null,
      signature: {
        version: 'sigv2',
        credentialKind: 'long-term',
        signedAt: null,
        expiresAt: '2026-01-15T11:20:00Z',
      },
      post: {
        policy: {
          bucket: 'amzn-s3-demo-bucket',
          key: { match: 'exact', value: 'OBJECT_NAME' },
          contentLengthRange: null,
          conditions: ['{"bucket":"amzn-s3-demo-bucket"}', '{"key":"OBJECT_NAME"}'],
        },
      },
    });
    // SigV2 names no Region, so the global name's addresses are unknown from the VPC.
    expect(r.expectedPath.vpc).toBe('unknown');
    expect(codes(r).sort()).toEqual(
      ['LEGACY_GLOBAL_ENDPOINT', 'ONPREM_NOT_PRIVATE', 'POST_POLICY_NO_LENGTH_LIMIT', 'SIGV2'].sort(),
    );
    expectRedacted(r, form);
  });

  it('the guide form verbatim (placeholders): coded findings, no crash', () => {
    const form = {
      url: 'URL_VALUE',
      fields: { key: 'VALUE', AWSAccessKeyId: 'VALUE', policy: 'VALUE', signature: 'VALUE' },
    };
    const r = inspectPost(form, { now: NOW });
    expect(r.endpointKind).toBe('not-s3');
    expect(codes(r)).toEqual(expect.arrayContaining(['INVALID_URL', 'POST_POLICY_NOT_BASE64', 'SIGV2']));
  });

  it('s3v4 with the reference conditions (acl, content-length-range 2..5, success_action_redirect any) and a session token', () => {
    const form = boto3PresignedPost({
      bucket: 'amzn-s3-demo-bucket',
      key: 'uploads/${filename}',
      signatureVersion: 's3v4',
      url: 'https://amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com/',
      fields: { acl: 'public-read' },
      conditions: [
        { acl: 'public-read' },
        ['content-length-range', 2, 5],
        ['starts-with', '$success_action_redirect', ''],
      ],
      credentials: TEMPORARY,
    });
    const r = inspectPost(form, { now: NOW });
    expect(r).toMatchObject({
      endpointKind: 'regional',
      region: 'us-east-1',
      signature: { version: 'sigv4', credentialKind: 'temporary', lifetimeSeconds: 3600 },
      post: {
        policy: {
          key: { match: 'starts-with', value: 'uploads/' },
          contentLengthRange: { min: 2, max: 5 },
        },
      },
    });
    expect(codes(r)).toEqual(['TEMPORARY_CREDENTIALS']);
    expectRedacted(r, form);
  });
});

describe('inspectPost: bad forms give coded findings, never a crash', () => {
  const good = () =>
    boto3PresignedPost({
      bucket: 'my-bucket',
      key: 'k',
      signatureVersion: 's3v4',
      url: 'https://my-bucket.s3.us-east-1.amazonaws.com/',
    });
  const withPolicy = (policy: string | undefined) => {
    const f = good();
    const fields: Record<string, string> = { ...f.fields };
    if (policy === undefined) delete fields.policy;
    else fields.policy = policy;
    return { url: f.url, fields };
  };

  it('POST_POLICY_MISSING: no policy field', () => {
    expect(finding(inspectPost(withPolicy(undefined), { now: NOW }), 'POST_POLICY_MISSING')?.severity).toBe(
      'medium',
    );
  });

  it('POST_POLICY_NOT_BASE64: a policy that is not base64', () => {
    for (const p of ['not base64!', 'eyJ', 'e30=e30=', '-_-_']) {
      expect(codes(inspectPost(withPolicy(p), { now: NOW })), p).toContain('POST_POLICY_NOT_BASE64');
    }
  });

  it('POST_POLICY_NOT_JSON: base64 of text that is not a JSON object, or not UTF-8', () => {
    for (const p of [
      Buffer.from('not json').toString('base64'),
      policyOf([1, 2]),
      Buffer.from([0xff, 0xfe, 0x7b]).toString('base64'),
    ]) {
      expect(codes(inspectPost(withPolicy(p), { now: NOW }))).toContain('POST_POLICY_NOT_JSON');
    }
  });

  it('POST_POLICY_INVALID: no expiration, conditions not a list, a condition of no known shape', () => {
    const r = inspectPost(withPolicy(policyOf({ conditions: [{ a: 1, b: 2 }, ['in', '$key', []]] })), {
      now: NOW,
    });
    expect(finding(r, 'POST_POLICY_INVALID')?.message).toContain('expiration missing');
    expect(finding(r, 'POST_POLICY_INVALID')?.message).toContain('condition 1 is not');
    const noList = inspectPost(withPolicy(policyOf({ expiration: '2026-01-15T11:00:00Z', conditions: {} })), {
      now: NOW,
    });
    expect(finding(noList, 'POST_POLICY_INVALID')?.message).toContain('conditions missing');
  });

  it('EXPIRED: a policy whose expiration has passed', () => {
    const r = inspectPost(good(), { now: new Date('2026-01-15T11:20:00Z') });
    expect(codes(r)).toContain('EXPIRED');
    expect(r.signature.expiresInSeconds).toBe(0);
  });

  it('POST_FORM_INVALID: not JSON, not an object, no url, no fields, fields that are not strings', () => {
    for (const input of [
      '{"url": ',
      '[]',
      '"text"',
      { fields: {} },
      { url: 'https://b.s3.us-east-1.amazonaws.com/' },
      { url: 'https://b.s3.us-east-1.amazonaws.com/', fields: { key: 5 } },
      undefined,
      null,
      42,
      'x'.repeat(70_000),
    ]) {
      const r = inspectPost(input, { now: NOW });
      expect(codes(r)).toEqual(['POST_FORM_INVALID']);
      expect(r.findings[0]?.severity).toBe('high');
      expect(r.post).toEqual({ fields: {}, policy: null });
    }
    expect(readPostForm('{"url": ')).toEqual({ ok: false, error: 'not JSON' });
  });

  it('MALFORMED_SIGNATURE: SigV4 fields without x-amz-signature, and a signed form without signature fields', () => {
    const f = good();
    const { 'x-amz-signature': _dropped, ...rest } = f.fields;
    expect(
      finding(inspectPost({ url: f.url, fields: rest }, { now: NOW }), 'MALFORMED_SIGNATURE')?.message,
    ).toContain('x-amz-signature missing');
    const anonymous = { url: f.url, fields: { key: 'k', policy: f.fields.policy! } };
    expect(codes(inspectPost(anonymous, { now: NOW }))).toContain('MALFORMED_SIGNATURE');
  });

  it('the long-term example key signs the forms above (the fixtures are what the SDKs produce)', () => {
    expect(good().fields['x-amz-credential']).toBe(
      `${LONG_TERM.accessKeyId}/20260115/us-east-1/s3/aws4_request`,
    );
    expect(good().fields['x-amz-signature']).toMatch(/^[0-9a-f]{64}$/);
  });
});

const ENV = NAT_ONLY_ENV;
