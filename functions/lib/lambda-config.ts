import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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
