import { createHash, randomBytes } from 'node:crypto';
import type { PresignedPostForm } from '../../shared/endpoints/post-form.js';
import type { OrderProbe } from '../../shared/probes/orders.js';

/**
 * What a runner is asked to do with one probe: download a presigned URL, upload the probe's bytes
 * with a presigned PUT URL, or post them with a presigned POST form. The URL and the form are
 * credentials: only their redacted forms leave the runner.
 */
export type ProbeRequest =
  | { readonly method: 'get'; readonly url: string }
  | { readonly method: 'put'; readonly url: string; readonly body: Uint8Array }
  | { readonly method: 'post'; readonly form: PresignedPostForm; readonly body: Uint8Array };

/**
 * The request an order's probe asks for (the order is validated first: a `get` and a `put` have
 * a `url`, a `post` a `form`, uploads a `body`). Null when the upload's bytes are not the ones
 * whose SHA-256 the order names: a tampered or corrupt order is not uploaded.
 */
export function orderProbeRequest(p: OrderProbe): ProbeRequest | null {
  const method = p.method ?? 'get';
  if (method === 'get') return p.url === undefined ? null : { method, url: p.url };
  const body = Buffer.from(p.body ?? '', 'base64');
  if (createHash('sha256').update(body).digest('hex') !== p.expectedSha256) return null;
  if (method === 'put') return p.url === undefined ? null : { method, url: p.url, body };
  return p.form === undefined ? null : { method, form: p.form, body };
}

/** The URL a probe request connects to (a POST form's `url`). */
export function requestUrl(r: ProbeRequest): string {
  return r.method === 'post' ? r.form.url : r.url;
}

/** The HTTP request a probe request becomes: method, the headers it adds, and the bytes it sends. */
export interface WireRequest {
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
}

/**
 * The bytes and headers of a probe request. A PUT sends the exact length and the base64 SHA-256 the
 * URL signed (`content-length`, `x-amz-checksum-sha256`): S3 recomputes the checksum and refuses a
 * body that differs, so a 200 proves the probe's own bytes arrived. A POST sends the form's fields
 * in their order, then the file (S3 ignores fields after the file).
 */
export function wireRequest(r: ProbeRequest, boundary: string = newBoundary()): WireRequest {
  if (r.method === 'get') return { method: 'GET', headers: {}, body: null };
  if (r.method === 'put') {
    const body = Buffer.from(r.body);
    return {
      method: 'PUT',
      headers: {
        'content-length': String(body.length),
        'x-amz-checksum-sha256': createHash('sha256').update(body).digest('base64'),
      },
      body,
    };
  }
  const body = multipartFormData(r.form.fields, r.body, boundary);
  return {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(body.length),
    },
    body,
  };
}

/** A boundary no 64-byte random file and no form field can contain by chance (RFC 7578 §4.1). */
function newBoundary(): string {
  return `----pathguard-${randomBytes(12).toString('hex')}`;
}

/**
 * `multipart/form-data` (RFC 7578) of text fields then one file part named `file`. Field names
 * and values are checked by `readPostForm` (printable names without quotes, values on one line),
 * so nothing here can break the framing.
 */
export function multipartFormData(
  fields: Readonly<Record<string, string>>,
  file: Uint8Array,
  boundary: string,
): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
        'utf8',
      ),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="probe.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      'utf8',
    ),
    Buffer.from(file),
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  );
  return Buffer.concat(parts);
}
