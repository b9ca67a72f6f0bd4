import { describe, expect, it } from 'vitest';
import type { ErrorDetails, S3Reply, S3Request } from '../../functions/lab/s3/exchange.js';
import { dispatch, S3_ROUTES, type S3Route, unsupportedSubresource } from '../../functions/lab/s3/routes.js';
import { LAB_S3_CREDENTIAL } from '../../functions/lab/s3/sigv4.js';

/** A request as the server admits it; only what routing looks at varies. */
function admitted(method: string, key: string | null, params: [string, string][] = []): S3Request {
  return {
    method,
    params,
    headers: {},
    bucket: { config: { name: 'b' }, region: 'us-east-1', objects: new Map() },
    key,
    body: Buffer.alloc(0),
    auth: { kind: 'signed', authType: 'AuthHeader', credential: LAB_S3_CREDENTIAL, region: 'us-east-1' },
    origin: { remoteIp: '10.0.1.5', vpcEndpointId: null, vpcId: null },
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
}

/** A reply that records what was answered. */
function recorder() {
  const answers: { code: number; s3Code?: string; details?: ErrorDetails; by?: string }[] = [];
  const reply: S3Reply = {
    send: (code) => answers.push({ code }),
    fail: (code, s3Code, _message, details = []) => answers.push({ code, s3Code, details }),
    setObjectSize: () => {},
  };
  return { reply, answers };
}

const by =
  (name: string) =>
  (_req: S3Request, reply: S3Reply): void =>
    reply.send(200, { 'x-handler': name });

describe('lab S3 route table', () => {
  it('holds one row per method × resource (× sub-resource): no row shadows another', () => {
    const keys = S3_ROUTES.map((r) => `${r.method} ${r.resource} ${r.subresource ?? ''}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('sends a request carrying a declared sub-resource to its row, whatever the parameter order', () => {
    const seen: string[] = [];
    const routes: S3Route[] = [
      { method: 'PUT', resource: 'OBJECT', handler: () => seen.push('put') },
      { method: 'PUT', resource: 'OBJECT', subresource: 'uploadId', handler: () => seen.push('part') },
      { method: 'POST', resource: 'OBJECT', subresource: 'uploads', handler: () => seen.push('create') },
    ];
    const { reply, answers } = recorder();
    dispatch(admitted('PUT', 'k'), reply, routes);
    dispatch(
      admitted('PUT', 'k', [
        ['partNumber', '1'],
        ['uploadId', 'u'],
      ]),
      reply,
      routes,
    );
    dispatch(admitted('POST', 'k', [['uploads', '']]), reply, routes);
    expect(seen).toEqual(['put', 'part', 'create']);
    // A declared sub-resource on a method without its row is not implemented, never the plain row.
    dispatch(admitted('GET', 'k', [['uploadId', 'u']]), reply, [
      ...routes,
      { method: 'GET', resource: 'OBJECT', handler: () => seen.push('get') },
    ]);
    expect(seen).toHaveLength(3);
    expect(answers).toEqual([{ code: 501, s3Code: 'NotImplemented', details: [['Header', 'uploadId']] }]);
    // Declaring it makes the parameter acceptable to the server's check before the handlers.
    expect(unsupportedSubresource([['uploads', '']], routes)).toBeNull();
    expect(unsupportedSubresource([['uploads', '']])).toBe('uploads');
  });

  it('answers 405 naming the method and resource type when no row matches', () => {
    const { reply, answers } = recorder();
    dispatch(admitted('POST', null), reply, [{ method: 'GET', resource: 'BUCKET', handler: by('list') }]);
    dispatch(admitted('GET', null, [['list-type', '1']]), reply);
    expect(answers).toEqual([
      {
        code: 405,
        s3Code: 'MethodNotAllowed',
        details: [
          ['Method', 'POST'],
          ['ResourceType', 'BUCKET'],
        ],
      },
      {
        code: 405,
        s3Code: 'MethodNotAllowed',
        details: [
          ['Method', 'GET'],
          ['ResourceType', 'BUCKET'],
        ],
      },
    ]);
  });

  it('keeps presigning and ListObjectsV2 parameters plain, and names the first unknown one', () => {
    expect(
      unsupportedSubresource([
        ['X-Amz-Signature', 's'],
        ['list-type', '2'],
        ['prefix', 'a/'],
      ]),
    ).toBeNull();
    expect(
      unsupportedSubresource([
        ['prefix', 'a/'],
        ['tagging', ''],
        ['acl', ''],
      ]),
    ).toBe('tagging');
  });
});
