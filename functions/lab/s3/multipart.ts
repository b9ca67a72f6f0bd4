/**
 * `multipart/form-data` (RFC 7578) as S3 reads a POST upload: text fields in order, then the part
 * named `file`; fields after the file are ignored (S3: "The file or text content must be the last
 * field in the form"). Bounded and total: a body that is not well-formed gives null, never a throw.
 */

/** A POST upload's form, read. */
export interface MultipartForm {
  /** Text fields before the file, names as sent (S3 compares them without case), first one kept. */
  readonly fields: ReadonlyMap<string, { readonly name: string; readonly value: string }>;
  /** The file part, or null when the form has none. */
  readonly file: {
    readonly filename: string;
    readonly contentType: string | null;
    readonly body: Buffer;
  } | null;
}

/** Most parts S3 would read in a form (fields are few; the lab refuses more rather than loop). */
const MAX_PARTS = 64;

/** The boundary of a `multipart/form-data` content type, or null when it is another type. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const [type, ...params] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return null;
  for (const p of params) {
    const m = /^\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*$/i.exec(p);
    if (m) return m[1] ?? m[2] ?? null;
  }
  return null;
}

/**
 * Parses a `multipart/form-data` body. Null when the framing is broken (no opening boundary, a
 * part without its blank line, no closing boundary), a part has no `form-data` name, or there
 * are more than 64 parts.
 */
export function parseMultipartForm(body: Buffer, boundary: string): MultipartForm | null {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let at = body.indexOf(delimiter);
  if (at === -1) return null;
  const fields = new Map<string, { name: string; value: string }>();
  let file: MultipartForm['file'] = null;
  for (let parts = 0; ; parts++) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') break;
    if (parts >= MAX_PARTS || body.subarray(at, at + 2).toString('latin1') !== '\r\n') return null;
    at += 2;
    const headEnd = body.indexOf('\r\n\r\n', at);
    if (headEnd === -1) return null;
    const head = readPartHead(body.toString('utf8', at, headEnd));
    if (!head) return null;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`, 'latin1'), headEnd + 4);
    if (next === -1) return null;
    const content = body.subarray(headEnd + 4, next);
    at = next + 2;
    if (file) continue;
    if (head.name.toLowerCase() === 'file') {
      file = { filename: head.filename ?? '', contentType: head.contentType, body: Buffer.from(content) };
      continue;
    }
    const lower = head.name.toLowerCase();
    if (!fields.has(lower)) fields.set(lower, { name: head.name, value: content.toString('utf8') });
  }
  return { fields, file };
}

function readPartHead(
  text: string,
): { name: string; filename: string | null; contentType: string | null } | null {
  let name: string | null = null;
  let filename: string | null = null;
  let contentType: string | null = null;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) return null;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === 'content-type') contentType = value;
    if (header !== 'content-disposition') continue;
    if (!/^form-data\s*(;|$)/i.test(value)) return null;
    name = /;\s*name="([^"]*)"/i.exec(value)?.[1] ?? null;
    filename = /;\s*filename="([^"]*)"/i.exec(value)?.[1] ?? null;
  }
  return name === null || name === '' ? null : { name, filename, contentType };
}
