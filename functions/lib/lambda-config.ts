import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type PathGuardConfig, validateConfig } from '../../shared/config/index.js';
import { UserInputError } from '../../shared/errors.js';

/**
 * Reads the raw configuration document a Lambda function runs with: `PATHGUARD_CONFIG` holds the
 * JSON itself or, because Lambda environment variables total at most 4 KB, an `s3://bucket/key`
 * reference to it. Validation is the caller's (once, at cold start).
 */
export async function readConfigDocument(value: string | undefined, s3: () => S3Client): Promise<unknown> {
  if (value === undefined || value.trim() === '') {
    throw new UserInputError(
      'CONFIG_MISSING',
      'PATHGUARD_CONFIG is not set (the JSON config or an s3://bucket/key reference)',
    );
  }
  const text = value.trim();
  if (text.startsWith('s3://')) {
    const rest = text.slice('s3://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      throw new UserInputError(
        'CONFIG_REFERENCE_INVALID',
        'PATHGUARD_CONFIG s3:// reference must be s3://bucket/key',
      );
    }
    const out = await s3().send(
      new GetObjectCommand({ Bucket: rest.slice(0, slash), Key: rest.slice(slash + 1) }),
    );
    const body = await out.Body?.transformToString('utf8');
    if (body === undefined) throw new UserInputError('CONFIG_EMPTY', `config object ${text} is empty`);
    return parseJson(body, text);
  }
  return parseJson(text, 'PATHGUARD_CONFIG');
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserInputError('CONFIG_NOT_JSON', `${where} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The config a handler runs with, read and validated once. Reading starts at cold start (so the
 * first request does not wait for it) but a failure is never an unhandled rejection at init,
 * which would crash the runtime with no reason in the logs: each call to the returned function
 * rejects with the coded error (CONFIG_MISSING, CONFIG_NOT_JSON, VALIDATION_FAILED…), which the
 * handler reports like any other; the next request reads it again.
 *
 * @example
 * const config = configLoader(process.env.PATHGUARD_CONFIG, () => s3);
 * async function handler() { const cfg = await config(); … }
 */
export function configLoader(value: string | undefined, s3: () => S3Client): () => Promise<PathGuardConfig> {
  const start = () => {
    const p = (async () => {
      const r = validateConfig(await readConfigDocument(value, s3));
      if (!r.ok) throw r.error;
      return r.value;
    })();
    // Marks the rejection handled here; every caller still receives it.
    p.catch(() => undefined);
    return p;
  };
  let loading = start();
  return async () => {
    try {
      return await loading;
    } catch (e) {
      // Read again on the next request: an s3:// config may have failed for a passing reason.
      loading = start();
      throw e;
    }
  };
}
