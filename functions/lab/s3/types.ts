import type { Socket } from 'node:net';
import type { LabCredential } from './sigv4.js';

/** Where S3 would say a request came from: what the lab network tells the endpoint. */
export interface LabRequestOrigin {
  /** The access log's Remote IP: the address AWS would show, never a loopback one from the lab. */
  readonly remoteIp: string;
  /** The VPC endpoint the request came through (`aws:SourceVpce`), or null. */
  readonly vpcEndpointId: string | null;
  /** The VPC the request came from through that endpoint (`aws:SourceVpc`), or null. */
  readonly vpcId: string | null;
}

/** What a bucket policy hook decides on. */
export interface LabPolicyContext {
  readonly bucket: string;
  readonly key: string | null;
  /** The access log's Operation, e.g. `REST.GET.OBJECT`. */
  readonly operation: string;
  readonly principalArn: string;
  readonly origin: LabRequestOrigin;
}

/** A bucket policy, reduced to what the lab needs: true lets an authenticated request through. */
export type LabBucketPolicy = (ctx: LabPolicyContext) => boolean;

/** One bucket of the lab endpoint. */
export interface LabBucketConfig {
  readonly name: string;
  /** @default the endpoint's Region */
  readonly region?: string;
  /** Server access logging: log objects go to `targetBucket` under `targetPrefix` (simple prefix). */
  readonly logging?: { readonly targetBucket: string; readonly targetPrefix: string };
  readonly policy?: LabBucketPolicy;
}

/** Options of {@link startLabS3}. */
export interface LabS3Options {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Access keys the endpoint accepts. @default [LAB_S3_CREDENTIAL] */
  readonly credentials?: readonly LabCredential[];
  readonly buckets?: readonly LabBucketConfig[];
  /**
   * The Remote IP AWS would log for a connection; the lab network supplies it (see also
   * {@link LabS3.setOriginResolver}). @default the socket's own address
   */
  readonly remoteIpFor?: (socket: Socket) => string | null;
  /** The clock for expiry checks and log times. @default () => new Date() */
  readonly now?: () => Date;
  /** Canonical user id of the buckets' owner (the access log's Bucket Owner). */
  readonly ownerId?: string;
  /** Largest request body accepted. @default 64 MiB */
  readonly maxBodyBytes?: number;
  /**
   * Multi-Region Access Points the endpoint answers (`<alias>.accesspoint.s3-global.amazonaws.com`),
   * each routed to one of its buckets. @default none
   */
  readonly multiRegionAccessPoints?: readonly { readonly alias: string; readonly bucket: string }[];
}

/** A running lab S3 endpoint. */
export interface LabS3 {
  /** `http://127.0.0.1:<port>`: the endpoint override for `@aws-sdk/client-s3`. */
  readonly endpoint: string;
  readonly address: string;
  readonly port: number;
  readonly region: string;
  /** The first accepted key (the one SDK clients of the lab sign with). */
  readonly credential: LabCredential;
  readonly ownerId: string;
  createBucket(config: LabBucketConfig): void;
  /** Stores an object directly, as its owner would out of band (no request, no log line). */
  putObject(bucket: string, key: string, body: Uint8Array | string, contentType?: string): string;
  /** An object's bytes, read directly (no request, no log line), or undefined. */
  getObject(bucket: string, key: string): Buffer | undefined;
  /** Keys of a bucket in S3's (UTF-8 byte) order. */
  listKeys(bucket: string, prefix?: string): string[];
  /** Tells the endpoint where each connection comes from as AWS would see it (null: unknown). */
  setOriginResolver(resolve: ((socket: Socket) => LabRequestOrigin | null) | null): void;
  /** Every access log line written so far, delivered or not, in request order. */
  accessLogLines(bucket?: string): string[];
  /**
   * Delivers the pending access log lines: one object per logging target, keyed in the simple
   * prefix format, in the target bucket. Returns the `bucket/key` of each object written.
   */
  flushAccessLogs(): string[];
  /** Stops listening and ends open connections; resolves when the port is free again. */
  close(): Promise<void>;
}
