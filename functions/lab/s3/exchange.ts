import type { IncomingHttpHeaders } from 'node:http';
import type { MultipartForm } from './multipart.js';
import type { AuthOutcome } from './sigv4.js';
import type { LabBucket } from './store.js';
import type { LabRequestOrigin } from './types.js';

/** Extra elements of S3's XML error body, in order. */
export type ErrorDetails = readonly (readonly [string, string])[];

/** The resource a request addresses: the bucket itself or one of its objects. */
export type S3Resource = 'BUCKET' | 'OBJECT';

/** An authenticated, authorised request to an existing bucket: what a handler is given. */
export interface S3Request {
  /** Upper case, e.g. `GET`. */
  readonly method: string;
  /** The query's parameters, decoded, in the order sent. */
  readonly params: readonly [string, string][];
  readonly headers: IncomingHttpHeaders;
  /** The bucket the Host header or path names. */
  readonly bucket: LabBucket;
  /** The object key, or null for a request to the bucket. */
  readonly key: string | null;
  /** The body received, with any unsigned `aws-chunked` framing removed. */
  readonly body: Buffer;
  /** A POST upload's form, read once on receipt (handlers/post-object.ts); absent for other requests. */
  readonly form?: MultipartForm;
  readonly auth: Extract<AuthOutcome, { kind: 'signed' }>;
  readonly origin: LabRequestOrigin;
  /** The endpoint's clock. */
  readonly now: () => Date;
}

/** How a handler answers: exactly one `send` or `fail` per request. */
export interface S3Reply {
  send(code: number, headers: Record<string, string | number>, payload?: Buffer | string): void;
  /** An S3 XML error (no body on HEAD), recorded as the access log's Error Code. */
  fail(code: number, s3Code: string, message: string, details?: ErrorDetails): void;
  /** The access log's Object Size for this request. */
  setObjectSize(size: number): void;
}

/** A handler of one route of the method × resource table. */
export type S3Handler = (req: S3Request, reply: S3Reply) => void;

/** A request header, repeated values joined as Node joins them for unknown headers. */
export function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

const NOT_IMPLEMENTED = 'A header you provided implies functionality that is not implemented';

/**
 * The one reply for what the lab does not implement: S3's 501 `NotImplemented`, naming the header
 * or query parameter that asked for it when there is one.
 */
export function notImplemented(
  reply: Pick<S3Reply, 'fail'>,
  header?: string,
  message: string = NOT_IMPLEMENTED,
): void {
  reply.fail(501, 'NotImplemented', message, header === undefined ? [] : [['Header', header]]);
}

/** S3's 405 for a method the resource does not serve (no route of the table matched). */
export function methodNotAllowed(reply: Pick<S3Reply, 'fail'>, method: string, resource: S3Resource): void {
  reply.fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', [
    ['Method', method],
    ['ResourceType', resource],
  ]);
}

/** S3's 404 for a key the bucket does not hold. */
export function noSuchKey(reply: Pick<S3Reply, 'fail'>, key: string): void {
  reply.fail(404, 'NoSuchKey', 'The specified key does not exist.', [['Key', key]]);
}

/** S3's 412 for a conditional request whose condition (`If-Match`, `If-None-Match`) failed. */
export function preconditionFailed(reply: Pick<S3Reply, 'fail'>, condition: string): void {
  reply.fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', [
    ['Condition', condition],
  ]);
}
