const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Text content escaped for XML. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/**
 * S3's XML error body: Code, Message, the code's own details (e.g. `X-Amz-Expires` for an
 * expired URL), then RequestId and HostId, which repeat the response's `x-amz-request-id` and
 * `x-amz-id-2` headers.
 */
export function errorXml(
  code: string,
  message: string,
  details: readonly (readonly [string, string])[],
  requestId: string,
  hostId: string,
): string {
  let body = `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>`;
  for (const [name, value] of details) body += `<${name}>${escapeXml(value)}</${name}>`;
  body += `<RequestId>${requestId}</RequestId><HostId>${escapeXml(hostId)}</HostId></Error>`;
  return XML_DECL + body;
}

/** One object in a ListObjectsV2 answer. */
export interface ListedObject {
  readonly key: string;
  readonly lastModified: Date;
  readonly etag: string;
  readonly size: number;
}

/** What a ListObjectsV2 answer carries (values already URL-encoded when `encodingType` is set). */
export interface ListResult {
  readonly bucket: string;
  readonly prefix: string;
  readonly delimiter: string | null;
  readonly maxKeys: number;
  readonly startAfter: string | null;
  readonly continuationToken: string | null;
  readonly nextContinuationToken: string | null;
  readonly encodingType: 'url' | null;
  readonly contents: readonly ListedObject[];
  readonly commonPrefixes: readonly string[];
}

/** The `ListBucketResult` document of ListObjectsV2. */
export function listObjectsV2Xml(r: ListResult): string {
  const enc = (s: string) =>
    escapeXml(r.encodingType === 'url' ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
  let body = `<ListBucketResult xmlns="${S3_NS}"><Name>${escapeXml(r.bucket)}</Name><Prefix>${enc(r.prefix)}</Prefix>`;
  if (r.delimiter !== null) body += `<Delimiter>${enc(r.delimiter)}</Delimiter>`;
  if (r.startAfter !== null) body += `<StartAfter>${enc(r.startAfter)}</StartAfter>`;
  if (r.continuationToken !== null)
    body += `<ContinuationToken>${escapeXml(r.continuationToken)}</ContinuationToken>`;
  body += `<KeyCount>${r.contents.length + r.commonPrefixes.length}</KeyCount><MaxKeys>${r.maxKeys}</MaxKeys>`;
  if (r.encodingType !== null) body += `<EncodingType>${r.encodingType}</EncodingType>`;
  body += `<IsTruncated>${r.nextContinuationToken !== null}</IsTruncated>`;
  if (r.nextContinuationToken !== null)
    body += `<NextContinuationToken>${escapeXml(r.nextContinuationToken)}</NextContinuationToken>`;
  for (const o of r.contents) {
    body += `<Contents><Key>${enc(o.key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${escapeXml(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
  }
  for (const p of r.commonPrefixes) body += `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`;
  return `${XML_DECL}${body}</ListBucketResult>`;
}
