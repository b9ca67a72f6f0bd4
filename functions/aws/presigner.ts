import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AwsCredentialIdentity } from '@smithy/types';
import { PathGuardError } from '../../shared/errors.js';
import type {
  PresignedUpload,
  Presigner,
  PresignRequest,
  PresignUploadRequest,
} from '../../shared/ports/index.js';
import { createAwsClient } from './clients.js';
import { presignMrapGet } from './mrap-presigner.js';

export interface SdkPresignerOptions {
  /** Static credentials (the lab); by default the SDK's provider chain (the Lambda role). */
  readonly credentials?: AwsCredentialIdentity;
  /** Endpoint for PUT URLs and non-probe operations (the lab's loopback S3). */
  readonly endpoint?: string;
}

/**
 * Presigns with the AWS SDK for JavaScript v3 configured per endpoint style: the hostname in the
 * URL is whatever the SDK makes of that configuration, exactly what an application using the same
 * settings would get. The host is signed, so it cannot be rewritten after presigning.
 */
export class SdkPresigner implements Presigner {
  private readonly clients = new Map<string, S3Client>();

  constructor(private readonly opts: SdkPresignerOptions = {}) {}

  async presignGet(req: PresignRequest): Promise<string> {
    if (req.style === 'mrap') return this.presignMrap(req);
    const { client, bucket } = this.clientFor(req);
    return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: req.key }), {
      expiresIn: req.expiresInSeconds,
    });
  }

  /**
   * `put`: a PutObject URL that signs `content-length` and `x-amz-checksum-sha256` as headers.
   * The presigner hoists `x-amz-*` headers into the query by default, and S3 does not check a
   * checksum given in the query of a presigned PUT (aws-sdk-js-v3#3906, aws-sdk-go-v2#2610): kept
   * a signed header, the checksum must be sent and must match, or S3 refuses the upload.
   * `post`: a POST form (`@aws-sdk/s3-presigned-post`) whose policy allows exactly this key and
   * exactly `size` bytes (`content-length-range`), valid for `expiresInSeconds`.
   */
  async presignUpload(req: PresignUploadRequest): Promise<PresignedUpload> {
    const { client, bucket } = this.clientFor(req);
    if (req.method === 'put') {
      const url = await getSignedUrl(
        client,
        new PutObjectCommand({
          Bucket: bucket,
          Key: req.key,
          ContentLength: req.size,
          ChecksumSHA256: req.sha256Base64,
        }),
        { expiresIn: req.expiresInSeconds, unhoistableHeaders: new Set(['x-amz-checksum-sha256']) },
      );
      return { method: 'put', url };
    }
    const form = await createPresignedPost(client, {
      Bucket: bucket,
      Key: req.key,
      // The SDK adds `{"bucket": …}` and `{"key": …}` (exact matches) itself.
      Conditions: [['content-length-range', req.size, req.size]],
      Expires: req.expiresInSeconds,
    });
    return { method: 'post', form: { url: form.url, fields: { ...form.fields } } };
  }

  async presignPut(req: {
    bucket: string;
    key: string;
    region: string;
    expiresInSeconds: number;
    contentType?: string;
  }): Promise<string> {
    const client = this.client(`put:${req.region}`, {
      region: req.region,
      ...(this.opts.endpoint ? { endpoint: this.opts.endpoint, forcePathStyle: true } : {}),
    });
    return getSignedUrl(
      client,
      new PutObjectCommand({
        Bucket: req.bucket,
        Key: req.key,
        ...(req.contentType ? { ContentType: req.contentType } : {}),
      }),
      { expiresIn: req.expiresInSeconds },
    );
  }

  private clientFor(req: PresignRequest): { client: S3Client; bucket: string } {
    const r = req.region;
    switch (req.style) {
      case 'regional':
        return { client: this.client(`regional:${r}`, { region: r }), bucket: req.bucket };
      case 'global':
        // Only us-east-1 has the legacy global name; elsewhere the SDK stays regional.
        return {
          client: this.client(`global:${r}`, { region: r, useGlobalEndpoint: true }),
          bucket: req.bucket,
        };
      case 'path-style':
        return { client: this.client(`path:${r}`, { region: r, forcePathStyle: true }), bucket: req.bucket };
      case 'dualstack':
        return {
          client: this.client(`dual:${r}`, { region: r, useDualstackEndpoint: true }),
          bucket: req.bucket,
        };
      case 'fips':
        return { client: this.client(`fips:${r}`, { region: r, useFipsEndpoint: true }), bucket: req.bucket };
      case 'accelerate':
        return {
          client: this.client(`accel:${r}`, { region: r, useAccelerateEndpoint: true }),
          bucket: req.bucket,
        };
      case 'interface-endpoint': {
        if (!req.interfaceEndpointDns) throw styleError(req, 'needs interfaceEndpointDns in the target');
        const ep = `https://${req.interfaceEndpointDns}`;
        return { client: this.client(`vpce:${ep}`, { region: r, endpoint: ep }), bucket: req.bucket };
      }
      case 'access-point':
        if (!req.accessPointArn) throw styleError(req, 'needs accessPointArn in the target');
        return { client: this.client(`ap:${r}`, { region: r }), bucket: req.accessPointArn };
      case 'mrap':
        throw styleError(req, 'is presigned by presignMrap');
    }
  }

  /**
   * SigV4a for a Multi-Region Access Point (see `mrap-presigner.ts`). Imported statically: in the
   * probe function's single-file bundle a dynamic import defers only the evaluation of the signer
   * (its code is parsed at cold start all the same), and it makes esbuild put every module the
   * signer shares with the S3 client - most of the SDK - behind lazy initialisers, which cost the
   * cold start more than the signer's own top level (definitions only) does.
   */
  private async presignMrap(req: PresignRequest): Promise<string> {
    if (!req.mrapArn) throw styleError(req, 'needs mrapArn in the target');
    // The Region only seeds the client; the ARN has none and the request is signed for the set `*`.
    return presignMrapGet(this.client(`mrap:${req.region}`, { region: req.region }), {
      mrapArn: req.mrapArn,
      key: req.key,
      expiresInSeconds: req.expiresInSeconds,
    });
  }

  private client(key: string, cfg: S3ClientConfig): S3Client {
    let c = this.clients.get(key);
    if (!c) {
      // Presigning sends nothing; the shared configuration keeps one way to build a client.
      c = createAwsClient(S3Client, {
        ...cfg,
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      });
      this.clients.set(key, c);
    }
    return c;
  }
}

function styleError(req: PresignRequest, what: string): PathGuardError {
  return new PathGuardError('STYLE_NOT_SUPPORTED', `endpoint style '${req.style}' ${what}`, {
    style: req.style,
    bucket: req.bucket,
  });
}
