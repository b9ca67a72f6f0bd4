import { S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { presignMrapGet } from '../../functions/aws/mrap-presigner.js';
import { LAB_S3_CREDENTIAL, verifySigV4 } from '../../functions/lab/s3/index.js';
import { regionSetCovers, verifySigV4aSignature } from '../../functions/lab/s3/sigv4a.js';

const DEEP = process.env.PATHGUARD_DEEP === '1';
const keys = new Map([[LAB_S3_CREDENTIAL.accessKeyId, LAB_S3_CREDENTIAL]]);
const NOW = new Date('2026-12-03T12:00:00Z');

const HEX = '0123456789abcdef';
const hex = (min: number, max: number) =>
  fc.array(fc.constantFrom(...HEX), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** Values that look like what a SigV4a URL carries, and anything at all. */
const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  hex(0, 160),
  fc.constantFrom(
    'AWS4-ECDSA-P256-SHA256',
    'AWS4-HMAC-SHA256',
    '*',
    'us-east-1,us-west-*',
    '',
    '20261203T120000Z',
    '99999999T999999Z',
    `${LAB_S3_CREDENTIAL.accessKeyId}/20261203/s3/aws4_request`,
    `${LAB_S3_CREDENTIAL.accessKeyId}/20261203/us-east-1/s3/aws4_request`,
    '900',
    '-1',
    '604801',
    'host',
    'host;x-amz-region-set',
    'UNSIGNED-PAYLOAD',
  ),
);
const name = fc.constantFrom(
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-Region-Set',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
  'x-id',
);
/** A raw query: parameters SigV4a uses, in any order and number, with raw or percent-encoded values. */
const rawQuery = fc
  .array(fc.tuple(name, value, fc.boolean()), { maxLength: 12 })
  .map((ps) => ps.map(([k, v, enc]) => `${k}=${enc ? encodeURIComponent(v) : v}`).join('&'));

describe('the lab S3 endpoint SigV4a verifier', () => {
  it('never throws and never accepts a random SigV4a query: an S3 error or anonymous', () => {
    fc.assert(
      fc.property(
        rawQuery,
        fc.string({ maxLength: 60 }),
        fc.string({ maxLength: 80 }),
        (query, path, host) => {
          const outcome = verifySigV4(
            {
              method: 'GET',
              rawPath: `/${path}`,
              rawQuery: `X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&${query}`,
              headers: { host },
              bodySha256: '',
            },
            keys,
            NOW,
          );
          // No signature made with the lab's key comes out of random text; a query without X-Amz-Signature or X-Amz-Credential is anonymous, as S3 reads it.
          expect(outcome.kind).not.toBe('signed');
          if (outcome.kind === 'error') expect([400, 403]).toContain(outcome.status);
        },
      ),
      { numRuns: DEEP ? 20_000 : 1500 },
    );
  });

  let signed: URL;
  beforeAll(async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: LAB_S3_CREDENTIAL });
    signed = new URL(
      await presignMrapGet(client, {
        mrapArn: 'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap',
        key: 'pathguard/probes/x.bin',
        expiresInSeconds: 900,
        signingDate: NOW,
      }),
    );
  });
  const parts = () => ({
    method: 'GET',
    rawPath: signed.pathname,
    rawQuery: signed.search.slice(1),
    headers: { host: signed.host },
    bodySha256: '',
  });

  it('accepts the presigned URL as signed, and no change of one character of it', () => {
    expect(verifySigV4(parts(), keys, NOW)).toMatchObject({
      kind: 'signed',
      algorithm: 'sigv4a',
      region: '*',
    });
    fc.assert(
      fc.property(
        fc.constantFrom('rawPath', 'rawQuery', 'host'),
        fc.nat(),
        fc.constantFrom(...'0123456789abcdefABCDEF%&=*/.-_~ '),
        (field, at, ch) => {
          const p = parts();
          const text = field === 'host' ? p.headers.host : p[field as 'rawPath' | 'rawQuery'];
          const i = at % text.length;
          if (text[i] === ch) return;
          const changed = `${text.slice(0, i)}${ch}${text.slice(i + 1)}`;
          const outcome = verifySigV4(
            field === 'host' ? { ...p, headers: { host: changed } } : { ...p, [field]: changed },
            keys,
            NOW,
          );
          // A change that decodes to the same request (e.g. %2A for *) is the same request.
          if (outcome.kind === 'signed') {
            expect(decodeURIComponent(changed.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'))).toBe(
              decodeURIComponent(text),
            );
          }
        },
      ),
      { numRuns: DEEP ? 5000 : 400 },
    );
  });

  it('never throws on a signature that is not hex, not DER or simply wrong', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hex(0, 200),
          fc.string({ maxLength: 200 }),
          hex(16, 160).map((h) => `30${h}`),
        ),
        fc.string({ maxLength: 200 }),
        (signature, stringToSign) => {
          expect(
            verifySigV4aSignature(
              LAB_S3_CREDENTIAL.accessKeyId,
              LAB_S3_CREDENTIAL.secretAccessKey,
              stringToSign,
              signature,
            ),
          ).toBe(false);
        },
      ),
      { numRuns: DEEP ? 20_000 : 1500 },
    );
  });

  it('reads any Region set without throwing; * covers every Region', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 20 }), (set, region) => {
        expect(typeof regionSetCovers(set, region)).toBe('boolean');
        expect(regionSetCovers(`${set},*`, region)).toBe(true);
      }),
      { numRuns: DEEP ? 10_000 : 1000 },
    );
  });
});
