// The AWS SDK's pure-JavaScript SigV4a signer. Importing the package also registers it with the
// SDK (its side effect, aws-facts §10.2), which is what lets an S3 client *sign* requests for
// Multi-Region Access Points without the native CRT.

import { createHash, createHmac } from 'node:crypto';
import {
  GetObjectCommand,
  type S3Client,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-s3';
import { SignatureV4a } from '@aws-sdk/signature-v4a';
import type {
  AwsCredentialIdentity,
  Checksum,
  FinalizeHandlerArguments,
  FinalizeRequestMiddleware,
  HandlerExecutionContext,
  HttpRequest,
  SourceData,
} from '@smithy/types';
import { PathGuardError } from '../../shared/errors.js';

/** SigV4a's algorithm name, in `X-Amz-Algorithm` and the string to sign. */
export const SIGV4A_ALGORITHM = 'AWS4-ECDSA-P256-SHA256';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** S3 refuses presigned URLs valid for more than seven days (aws-facts §6.1, `MAX_PRESIGNED_TTL`). */
const MAX_EXPIRES_SECONDS = 604_800;
/** Headers the SDK adds for its own retries and metrics: never part of a presigned URL. */
const SDK_HEADERS = ['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent'];
/**
 * Headers `SignatureV4a.sign` adds for header authentication. In a presigned URL they travel as
 * query parameters instead, so they must not be signed as headers.
 */
const HEADER_AUTH_ONLY = new Set([
  'x-amz-date',
  'x-amz-region-set',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

/** SHA-256 and HMAC-SHA256 in the SDK's `Checksum` shape, from node:crypto (no extra package). */
export class NodeSha256 implements Checksum {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
  update(data: Uint8Array | string): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** RFC 3986 encoding as SigV4 canonicalises query names and values. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function presignError(message: string, cause?: unknown): PathGuardError {
  return new PathGuardError('MRAP_PRESIGN_FAILED', message, {}, cause === undefined ? undefined : { cause });
}

/** What {@link presignMrapGet} needs besides the client. */
export interface MrapPresignRequest {
  /** `arn:aws:s3::<account>:accesspoint/<alias>.mrap`. */
  readonly mrapArn: string;
  readonly key: string;
  readonly expiresInSeconds: number;
  /** @default now */
  readonly signingDate?: Date;
}

/**
 * Presigns a GetObject through a Multi-Region Access Point with SigV4a, without the native CRT.
 *
 * The SDK resolves everything but the signature: the S3 client's endpoint rules turn the ARN into
 * the host (`<alias>.mrap.accesspoint.s3-global.amazonaws.com`) and the auth scheme (`sigv4a`,
 * Region set `*`), exactly as for an application. The SDK's own presign path cannot finish the
 * job: `SignatureV4MultiRegion.presign` accepts only the CRT signer for the Region set `*`
 * (aws-facts §6.1; SDK 3.1169 throws "presign with signingRegion '*' is only supported when using
 * the CRT dependency"). So the query layout is the one `SignatureV4.presign` and the CRT write
 * (`X-Amz-Algorithm` … `X-Amz-SignedHeaders=host`, plus `X-Amz-Region-Set`, aws-facts §10.2),
 * and the signature comes from the SDK's JS signer itself: `SignatureV4a.sign` over that request
 * with only `host` as a signed header computes exactly the presigned canonical request (the
 * query holds the auth parameters, the payload hash is `UNSIGNED-PAYLOAD`), so its key
 * derivation and ECDSA signature are the SDK's, not ours.
 *
 * @example
 * const url = await presignMrapGet(new S3Client({ region: 'us-east-1' }), {
 *   mrapArn: 'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap',
 *   key: 'pathguard/probes/x.bin',
 *   expiresInSeconds: 900,
 * });
 */
export async function presignMrapGet(client: S3Client, req: MrapPresignRequest): Promise<string> {
  if (
    !Number.isInteger(req.expiresInSeconds) ||
    req.expiresInSeconds < 1 ||
    req.expiresInSeconds > MAX_EXPIRES_SECONDS
  )
    throw presignError(`expiry must be 1 to ${MAX_EXPIRES_SECONDS} seconds`);
  const { request, regionSet } = await resolveRequest(client, req);
  const credentials = (await client.config.credentials()) as AwsCredentialIdentity;
  const signingDate = req.signingDate ?? new Date();
  const longDate = `${signingDate.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
  const shortDate = longDate.slice(0, 8);
  const scope = `${shortDate}/s3/aws4_request`;

  // What S3RequestPresigner and SignatureV4.presign do to the request: the SDK's own headers go,
  // the payload is unsigned and every x-amz-* header is hoisted into the query. What is left
  // (`user-agent`, never signed) is not part of a URL: `host` is the one signed header.
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(request.query ?? {})) if (v !== null) query[k] = v;
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (!SDK_HEADERS.includes(lower) && lower.startsWith('x-amz-')) query[name] = value;
  }
  const host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
  query['X-Amz-Content-Sha256'] = UNSIGNED_PAYLOAD;
  query['X-Amz-Algorithm'] = SIGV4A_ALGORITHM;
  query['X-Amz-Credential'] = `${credentials.accessKeyId}/${scope}`;
  query['X-Amz-Date'] = longDate;
  query['X-Amz-Expires'] = String(req.expiresInSeconds);
  query['X-Amz-Region-Set'] = regionSet;
  if (credentials.sessionToken) query['X-Amz-Security-Token'] = credentials.sessionToken;
  query['X-Amz-SignedHeaders'] = 'host';

  const signer = new SignatureV4a({
    credentials,
    region: regionSet,
    service: 's3',
    sha256: NodeSha256,
    // S3 signs the path as sent (the SDK's S3 clients set signingEscapePath false).
    uriEscapePath: false,
    applyChecksum: false,
  });
  let signed: { headers: Record<string, string> };
  try {
    signed = await signer.sign(
      {
        ...request,
        // The payload hash header makes the canonical request end in UNSIGNED-PAYLOAD, as a
        // presigned one does; it and the other header-auth headers are not signed as headers.
        headers: { host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD },
        query,
      } as HttpRequest,
      { signingDate, signingRegion: regionSet, signingService: 's3', unsignableHeaders: HEADER_AUTH_ONLY },
    );
  } catch (e) {
    throw presignError('the SDK SigV4a signer failed', e);
  }
  const auth =
    /^AWS4-ECDSA-P256-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
      signed.headers.authorization ?? '',
    );
  // The URL carries what the query says; a signer that signed anything else must not produce one.
  if (!auth || auth[1] !== query['X-Amz-Credential'] || auth[2] !== query['X-Amz-SignedHeaders'])
    throw presignError('the SDK SigV4a signer signed another request than the presigned one');
  query['X-Amz-Signature'] = auth[3]!;
  return formatUrl(request, query);
}

/** The GetObject request the S3 client would send for the ARN, stopped before it is signed. */
async function resolveRequest(
  client: S3Client,
  req: MrapPresignRequest,
): Promise<{ request: HttpRequest; regionSet: string }> {
  const command = new GetObjectCommand({ Bucket: req.mrapArn, Key: req.key });
  const stack = client.middlewareStack.clone();
  let captured: { request: HttpRequest; regionSet: string } | null = null;
  const intercept: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (_next, context: HandlerExecutionContext) =>
    async (args: FinalizeHandlerArguments<ServiceInputTypes>) => {
      const scheme = (
        context.endpointV2?.properties?.authSchemes as
          | { name?: string; signingRegionSet?: string[] }[]
          | undefined
      )?.[0];
      if (scheme?.name !== 'sigv4a' || !scheme.signingRegionSet?.length)
        throw presignError(
          `the endpoint rules gave auth scheme ${scheme?.name ?? 'none'}, not sigv4a, for ${req.mrapArn}`,
        );
      captured = { request: args.request as HttpRequest, regionSet: scheme.signingRegionSet.join(',') };
      return { response: {}, output: { $metadata: {} } as ServiceOutputTypes };
    };
  stack.addRelativeTo(intercept, {
    name: 'pathguardMrapPresign',
    relation: 'before',
    toMiddleware: 'awsAuthMiddleware',
    override: true,
  });
  try {
    await command.resolveMiddleware(stack, client.config, {})({ input: command.input });
  } catch (e) {
    if (e instanceof PathGuardError) throw e;
    throw presignError(`the S3 client could not build a request for ${req.mrapArn}`, e);
  }
  if (captured === null) throw presignError('the S3 client built no request');
  return captured;
}

function formatUrl(request: HttpRequest, query: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const k of Object.keys(query).sort()) {
    const v = query[k]!;
    for (const one of Array.isArray(v) ? [...v].sort() : [v]) parts.push(`${uriEncode(k)}=${uriEncode(one)}`);
  }
  const port = request.port ? `:${request.port}` : '';
  return `${request.protocol}//${request.hostname}${port}${request.path}?${parts.join('&')}`;
}
