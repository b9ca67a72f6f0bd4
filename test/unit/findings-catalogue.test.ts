// Issue 18 §2: one catalogue of inspection findings (URLs and, issue 17 §2, POST forms). Every code an inspection can emit is in it
// with one severity and one text, and it lists no code nothing emits: each entry below has an
// input that makes the inspector emit it, and the call sites in shared/endpoints name exactly the
// catalogue's codes.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FINDINGS, type UrlFindingCode } from '../../shared/endpoints/findings.js';
import { type InspectOptions, inspectUrl, type UrlInspection } from '../../shared/endpoints/inspect.js';
import { inspectPost } from '../../shared/endpoints/inspect-post.js';
import { NAT_ONLY_ENV } from './nat-only-env.js';

const NOW = new Date('2026-01-15T10:21:00Z');
const SIG = 'aa'.repeat(32);

/** SigV4 query authentication signed at 10:20 for 900 s, with `over` replacing parameters. */
function q(over: Record<string, string | null> = {}): string {
  const p: Record<string, string | null> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20260115/us-east-1/s3/aws4_request',
    'X-Amz-Date': '20260115T102000Z',
    'X-Amz-Expires': '900',
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': SIG,
    ...over,
  };
  return Object.entries(p)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
}

const regional = (query = q()) => `https://my-bucket.s3.us-east-1.amazonaws.com/k?${query}`;
const temporary = 'ASIAIOSFODNN7EXAMPLE/20260115/us-east-1/s3/aws4_request';

const ENV = NAT_ONLY_ENV;

interface Example {
  /** A URL, or a presigned POST form (an object). */
  readonly input: string | object;
  readonly opts?: Partial<InspectOptions>;
}

const b64 = (doc: unknown) =>
  Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)).toString('base64');
const POST_URL = 'https://my-bucket.s3.us-east-1.amazonaws.com/';
const CRED = 'AKIAIOSFODNN7EXAMPLE/20260115/us-east-1/s3/aws4_request';

/** A SigV4 form signed at 10:20 whose policy is `conditions` expiring at `expiration`, fields `extra` added. */
function form(
  conditions: unknown[],
  expiration = '2026-01-15T10:30:00Z',
  extra: Record<string, string> = {},
) {
  const fields: Record<string, string> = {
    key: 'uploads/a.bin',
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': CRED,
    'x-amz-date': '20260115T102000Z',
    ...extra,
  };
  // The key's condition is among `conditions` when given there, else the exact key.
  const names = (c: unknown) => JSON.stringify(c).includes('$key');
  const all = [
    { bucket: 'my-bucket' },
    ...conditions,
    ...Object.entries(fields)
      .filter(([k]) => k !== 'key' || !conditions.some(names))
      .map(([k, v]) => ({ [k]: v })),
  ];
  return {
    url: POST_URL,
    fields: { ...fields, policy: b64({ expiration, conditions: all }), 'x-amz-signature': SIG },
  };
}
const LIMIT = ['content-length-range', 0, 1024];
const withPolicy = (policy: string) => ({ url: POST_URL, fields: { ...form([LIMIT]).fields, policy } });

/** For every catalogue code, an input whose inspection emits it. */
const EXAMPLES: Record<UrlFindingCode, Example> = {
  INVALID_URL: { input: 'not a url' },
  UNSUPPORTED_SCHEME: { input: 's3://my-bucket/k' },
  NOT_S3: { input: 'https://downloads.example.com/report.csv' },
  CUSTOM_ENDPOINT: { input: `https://127.0.0.1:9000/my-bucket/k?${q()}` },
  INSECURE_HTTP: { input: regional().replace('https:', 'http:') },
  LEGACY_GLOBAL_ENDPOINT: { input: `https://my-bucket.s3.amazonaws.com/k?${q()}` },
  LEGACY_DASH_REGION_ENDPOINT: { input: 'https://my-bucket.s3-us-west-2.amazonaws.com/k' },
  PUBLIC_ONLY_ENDPOINT: { input: `https://my-bucket.s3-accelerate.amazonaws.com/k?${q()}` },
  MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT: {
    input: 'https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/k',
  },
  PATH_STYLE_URL: { input: `https://s3.us-east-1.amazonaws.com/my-bucket/k?${q()}` },
  DOTTED_BUCKET_VIRTUAL_HOST: { input: `https://my.dotted.bucket.s3.us-east-1.amazonaws.com/k?${q()}` },
  DUALSTACK_ENDPOINT: { input: `https://my-bucket.s3.dualstack.us-east-1.amazonaws.com/k?${q()}` },
  FIPS_ENDPOINT: { input: `https://my-bucket.s3-fips.us-east-1.amazonaws.com/k?${q()}` },
  CONTROL_PLANE_ENDPOINT: {
    input: 'https://123456789012.s3-control.us-west-2.amazonaws.com/v20180820/accesspoint/ap',
  },
  NOT_PRESIGNED: { input: 'https://my-bucket.s3.us-east-1.amazonaws.com/public/logo.png' },
  SIGV2: {
    input: `https://my-bucket.s3.amazonaws.com/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=${NOW.getTime() / 1000 + 300}&Signature=c2lnbmF0dXJl`,
  },
  MALFORMED_SIGNATURE: { input: regional(q({ 'X-Amz-Date': null })) },
  DUPLICATE_AUTH_PARAMETER: { input: `${regional()}&X-Amz-Signature=${SIG}` },
  EXPIRY_OVER_SIGV4_MAXIMUM: { input: regional(q({ 'X-Amz-Expires': '604801' })) },
  LONG_EXPIRY: { input: regional(q({ 'X-Amz-Expires': '7200' })) },
  EXPIRED: { input: regional(), opts: { now: new Date('2026-01-15T11:00:00Z') } },
  SIGNED_IN_FUTURE: { input: regional(), opts: { now: new Date('2026-01-15T09:00:00Z') } },
  CREDENTIAL_REGION_MISMATCH: { input: `https://my-bucket.s3.us-west-2.amazonaws.com/k?${q()}` },
  CREDENTIAL_DATE_MISMATCH: {
    input: regional(q({ 'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20260114/us-east-1/s3/aws4_request' })),
  },
  SESSION_TOKEN_MISMATCH: { input: regional(q({ 'X-Amz-Credential': temporary })) },
  TEMPORARY_CREDENTIALS: {
    input: regional(q({ 'X-Amz-Credential': temporary, 'X-Amz-Security-Token': 'IQoJb3JpZ2luX2VjEXAMPLE' })),
  },
  INTERFACE_ENDPOINT_NOT_IN_ENVIRONMENT: {
    input: `https://bucket.vpce-0ffff999-abcd.s3.us-east-1.vpce.amazonaws.com/my-bucket/k?${q()}`,
    opts: { env: ENV },
  },
  CROSS_REGION_FOR_GATEWAY_ENDPOINT: {
    input: `https://my-bucket.s3.eu-west-1.amazonaws.com/k?${q({
      'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20260115/eu-west-1/s3/aws4_request',
    })}`,
    opts: { env: ENV },
  },
  VPC_NOT_PRIVATE: { input: regional(), opts: { env: ENV } },
  ONPREM_NOT_PRIVATE: { input: regional(), opts: { env: ENV } },
  POST_FORM_INVALID: { input: { url: POST_URL } },
  POST_POLICY_MISSING: { input: { url: POST_URL, fields: { key: 'k' } } },
  POST_POLICY_NOT_BASE64: { input: withPolicy('not base64!') },
  POST_POLICY_NOT_JSON: { input: withPolicy(b64('not json')) },
  POST_POLICY_INVALID: { input: withPolicy(b64({ conditions: [] })) },
  POST_FIELDS_VIOLATE_POLICY: { input: withFieldUncovered() },
  POST_POLICY_NO_LENGTH_LIMIT: { input: form([]) },
  POST_POLICY_BROAD_KEY: { input: form([LIMIT, ['starts-with', '$key', '']]) },
  POST_POLICY_LONG_EXPIRY: { input: form([LIMIT], '2026-01-15T12:20:00Z') },
};

/** A form with a field its policy names in no condition. */
function withFieldUncovered() {
  const f = form([LIMIT]);
  return { url: f.url, fields: { ...f.fields, 'Content-Type': 'image/png' } };
}

const inspect = (e: Example): UrlInspection =>
  typeof e.input === 'string'
    ? inspectUrl(e.input, { now: NOW, ...e.opts })
    : inspectPost(e.input, { now: NOW, ...e.opts });

describe('findings catalogue', () => {
  it('every catalogue code is emitted by its example, with the catalogue severity and text', () => {
    const codes = Object.keys(FINDINGS) as UrlFindingCode[];
    expect(Object.keys(EXAMPLES).sort()).toEqual([...codes].sort());
    for (const code of codes) {
      const found = inspect(EXAMPLES[code]).findings.find((f) => f.code === code);
      expect(found, code).toBeDefined();
      expect(found?.severity, code).toBe(FINDINGS[code].severity);
      expect(found?.message.startsWith(FINDINGS[code].text), code).toBe(true);
    }
  });

  it('every code emitted over the examples is a catalogue code', () => {
    const emitted = new Set(Object.values(EXAMPLES).flatMap((e) => inspect(e).findings.map((f) => f.code)));
    for (const code of emitted) expect(Object.hasOwn(FINDINGS, code), code).toBe(true);
  });

  it('the call sites of shared/endpoints name exactly the catalogue codes, and never a severity', () => {
    const dir = new URL('../../shared/endpoints/', import.meta.url);
    const sources = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'findings.ts')
      .map((f) => readFileSync(new URL(f, dir), 'utf8'));
    const named = new Set<string>();
    for (const src of sources) {
      // `.add('CODE'…`, `findingOf('CODE'…`, `invalidInspection(input, 'CODE'…`: the ways a code is raised.
      for (const m of src.matchAll(/(?:\.add|findingOf|invalidInspection\([^,()]+,)\(?\s*'([A-Z0-9_]+)'/g))
        named.add(m[1]!);
      // A severity chosen at a call site would bypass the catalogue.
      expect(src).not.toMatch(/\.add\([^)]*'(?:high|medium|low|info)'/);
    }
    expect([...named].sort()).toEqual(Object.keys(FINDINGS).sort());
  });

  it('gives each code one severity and a one-line text that quotes no input', () => {
    for (const [code, spec] of Object.entries(FINDINGS)) {
      expect(['high', 'medium', 'low', 'info'], code).toContain(spec.severity);
      expect(spec.text, code).not.toMatch(/[\n\r]/);
      expect(spec.text.length, code).toBeGreaterThan(10);
    }
  });
});
