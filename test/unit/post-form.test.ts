import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Findings } from '../../shared/endpoints/findings.js';
import {
  postFormField,
  readPostForm,
  readPostPolicy,
  redactPostForm,
} from '../../shared/endpoints/post-form.js';
import { decodePolicy } from '../../shared/endpoints/post-policy.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

async function sdkForm(sessionToken?: string) {
  const client = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET, ...(sessionToken ? { sessionToken } : {}) },
  });
  const form = await createPresignedPost(client, {
    Bucket: 'example-data-bucket',
    Key: 'pathguard/probes/2026/12/03/01KBKZ0000000000000000000.bin',
    Conditions: [['content-length-range', 64, 64]],
    Expires: 300,
  });
  client.destroy();
  return form;
}

describe('readPostForm', () => {
  it('reads the form @aws-sdk/s3-presigned-post returns', async () => {
    const r = readPostForm(await sdkForm());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.url).toBe('https://example-data-bucket.s3.us-east-1.amazonaws.com/');
    expect(postFormField(r.value.fields, 'policy')).toBe(postFormField(r.value.fields, 'Policy'));
    expect(postFormField(r.value.fields, 'KEY')).toMatch(/^pathguard\/probes\//);
  });

  it.each([
    ['null', null, 'a form is a JSON object'],
    ['an array', [], 'a form is a JSON object'],
    ['no url', { fields: {} }, 'url: expected a URL string'],
    [
      'fields not an object',
      { url: 'https://b.s3.amazonaws.com/', fields: [] },
      'fields: expected an object of strings',
    ],
    [
      'a number field',
      { url: 'https://b.s3.amazonaws.com/', fields: { key: 1 } },
      'fields.key: expected a string',
    ],
    [
      'a value spanning lines (would break the multipart framing)',
      { url: 'https://b.s3.amazonaws.com/', fields: { key: 'a\r\nContent-Disposition: x' } },
      'fields.key: longer than 16384 or spans lines',
    ],
    [
      'a name with a quote',
      { url: 'https://b.s3.amazonaws.com/', fields: { 'a"b': 'x' } },
      'fields: a field name is not a printable token',
    ],
  ])('refuses %s, naming why without echoing values', (_what, doc, reason) => {
    const r = readPostForm(doc);
    expect(r).toEqual({ ok: false, error: reason });
  });

  it('never echoes a field value in its reason', () => {
    const r = readPostForm({
      url: 'https://b.s3.amazonaws.com/',
      fields: { 'X-Amz-Signature': `${'ab'.repeat(40)}\n` },
    });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain('abab');
  });
});

describe('readPostPolicy', () => {
  it("reads the SDK's policy: expiry, exact bucket and key, the content-length-range", async () => {
    const form = await sdkForm();
    const r = readPostPolicy(form.fields.Policy!);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.expiresAtMs - Date.now()).toBeGreaterThan(200_000);
    expect(r.value.expiresAtMs - Date.now()).toBeLessThanOrEqual(300_000);
    expect(r.value.conditions).toContainEqual({ kind: 'content-length-range', min: 64, max: 64 });
    expect(r.value.conditions).toContainEqual({ kind: 'eq', field: 'bucket', value: 'example-data-bucket' });
    expect(r.value.conditions).toContainEqual({
      kind: 'eq',
      field: 'key',
      value: 'pathguard/probes/2026/12/03/01KBKZ0000000000000000000.bin',
    });
    // The credential condition is a field too (lower-cased like every name).
    expect(r.value.conditions.some((c) => c.kind === 'eq' && c.field === 'x-amz-credential')).toBe(true);
  });

  it('reads the array forms of eq and starts-with, and lower-cases $field names', () => {
    const r = readPostPolicy(
      b64(
        '{"expiration":"2026-12-03T12:00:00.000Z","conditions":[["eq","$Key","a"],["starts-with","$Content-Type","image/"],["starts-with","$key",""]]}',
      ),
    );
    expect(r).toEqual({
      ok: true,
      value: {
        expiration: '2026-12-03T12:00:00.000Z',
        expiresAtMs: Date.parse('2026-12-03T12:00:00.000Z'),
        conditions: [
          { kind: 'eq', field: 'key', value: 'a' },
          { kind: 'starts-with', field: 'content-type', value: 'image/' },
          { kind: 'starts-with', field: 'key', value: '' },
        ],
      },
    });
  });

  it.each([
    ['not base64', '!!not base64!!', 'POLICY_NOT_BASE64'],
    [
      'base64 of bytes that are not text',
      Buffer.from([0xff, 0xfe, 0xfd, 0x00]).toString('base64'),
      'POLICY_NOT_BASE64',
    ],
    ['base64 of text that is not JSON', b64('expiration: soon'), 'POLICY_NOT_JSON'],
    ['a JSON array', b64('[]'), 'POLICY_INVALID'],
    ['no expiration', b64('{"conditions":[]}'), 'POLICY_INVALID'],
    ['an expiration that is no time', b64('{"expiration":"tomorrow","conditions":[]}'), 'POLICY_INVALID'],
    ['no conditions', b64('{"expiration":"2026-12-03T12:00:00Z"}'), 'POLICY_INVALID'],
    [
      'an unknown operator',
      b64('{"expiration":"2026-12-03T12:00:00Z","conditions":[["ends-with","$key","x"]]}'),
      'POLICY_INVALID',
    ],
    [
      'a range whose min exceeds its max',
      b64('{"expiration":"2026-12-03T12:00:00Z","conditions":[["content-length-range",10,1]]}'),
      'POLICY_INVALID',
    ],
    [
      'an object condition of two fields',
      b64('{"expiration":"2026-12-03T12:00:00Z","conditions":[{"key":"a","bucket":"b"}]}'),
      'POLICY_INVALID',
    ],
  ])('refuses a policy that is %s with a code', (_what, policy, code) => {
    const r = readPostPolicy(policy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('never throws, whatever the field holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json().map(b64), fc.base64String()), (s) => {
        const r = readPostPolicy(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});

describe('redactPostForm', () => {
  it('removes the signature, the session token and the access key id, in the fields and inside the policy', async () => {
    const token = `IQoJb3JpZ2luX2VjE${'Ab9+/'.repeat(20)}`;
    const form = await sdkForm(token);
    const red = redactPostForm(form);
    const text = JSON.stringify(red);
    expect(text).not.toContain(form.fields['X-Amz-Signature']!);
    expect(text).not.toContain(KEY_ID);
    expect(text).not.toContain(token.slice(0, 30));
    expect(red.fields['X-Amz-Credential']).toMatch(/^REDACTED\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    // The policy still reads: its conditions (but not the credential) are kept for inspection.
    const policy = readPostPolicy(red.fields.Policy!);
    expect(policy.ok).toBe(true);
    if (policy.ok) {
      expect(policy.value.conditions).toContainEqual({ kind: 'content-length-range', min: 64, max: 64 });
      expect(Buffer.from(red.fields.Policy!, 'base64').toString()).not.toContain(KEY_ID);
    }
    expect(red.fields.key).toBe(form.fields.key);
    expect(red.url).toBe(form.url);
  });

  it('removes SigV2 signature and AWSAccessKeyId whatever their case, and a policy it cannot read', () => {
    const red = redactPostForm({
      url: 'https://mybucket.s3.amazonaws.com',
      fields: {
        acl: 'public-read',
        key: 'mykey',
        signature: 'mysignature',
        AWSAccessKeyId: KEY_ID,
        policy: '%%%',
      },
    });
    expect(red).toEqual({
      url: 'https://mybucket.s3.amazonaws.com',
      fields: {
        acl: 'public-read',
        key: 'mykey',
        signature: 'REDACTED',
        AWSAccessKeyId: 'REDACTED',
        policy: 'REDACTED',
      },
    });
  });

  it('property: a secret in any secret-carrying field, in any case, reaches no part of the redacted form', () => {
    const names = ['X-Amz-Signature', 'X-Amz-Security-Token', 'Signature', 'AWSAccessKeyId'];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }),
        fc.stringMatching(/^[A-Za-z0-9+/]{16,80}$/),
        (name, upper, secret) => {
          const cased = [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join('');
          const policy = b64(
            JSON.stringify({ expiration: '2026-12-03T12:00:00Z', conditions: [{ [cased]: secret }] }),
          );
          const red = redactPostForm({
            url: 'https://b.s3.us-east-1.amazonaws.com/',
            fields: { key: 'k', [cased]: secret, Policy: policy },
          });
          const text = JSON.stringify(red);
          expect(text).not.toContain(secret);
          expect(Buffer.from(red.fields.Policy!, 'base64').toString()).not.toContain(secret);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('one reading of POST policy conditions', () => {
  // The lab's S3 (readPostPolicy) and URL inspection (decodePolicy) must accept the same policies
  // and read the same conditions, or the lab would refuse forms the inspector calls sound.
  const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 100 }), fc.constant(null));
  const condition = fc.oneof(
    fc.dictionary(fc.constantFrom('key', 'bucket', 'acl', 'X-Amz-Meta-A'), scalar, {
      minKeys: 0,
      maxKeys: 2,
    }),
    fc.tuple(
      fc.constantFrom('eq', 'starts-with', 'EQ', 'ends-with'),
      fc.constantFrom('$key', 'key', '$Acl'),
      scalar,
    ),
    fc.tuple(
      fc.constant('content-length-range'),
      fc.oneof(fc.integer({ min: -2, max: 50 }), fc.constantFrom('7', '64', 'x')),
      fc.oneof(fc.integer({ min: -2, max: 50 }), fc.constantFrom('7', '64', 'x')),
    ),
    scalar,
  );
  it('accepts exactly the policies the inspector reads, with the same conditions', () => {
    fc.assert(
      fc.property(fc.array(condition, { maxLength: 4 }), (conditions) => {
        const policy = b64(JSON.stringify({ expiration: '2026-12-03T12:00:00.000Z', conditions }));
        const lab = readPostPolicy(policy);
        const findings = new Findings();
        const inspected = decodePolicy(policy, findings);
        const inspectorValid = !findings.list.some((f) => f.code === 'POST_POLICY_INVALID');
        expect(lab.ok).toBe(inspectorValid);
        if (lab.ok) expect(lab.value.conditions).toEqual(inspected?.conditions);
      }),
      { numRuns: 500 },
    );
  });
});
