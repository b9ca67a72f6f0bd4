import { describe, expect, it } from 'vitest';
import { REDACTED, readAsUrl, redactText, redactUrl } from '../../shared/endpoints/redact.js';
import { encodedForms, LONG_TERM, presign, secretsOf, TEMPORARY } from './presigned-urls.js';

/** Fails with the redacted text only, so a failing test never prints a secret either. */
function expectNoSecret(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const form of encodedForms(secret)) {
      expect(text.includes(form), `a secret survived in: ${redactText(text)}`).toBe(false);
    }
  }
}

// AWS S3 API reference, "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)",
// example presigned URL (documentation key AKIAIOSFODNN7EXAMPLE).
const AWS_DOC_SIGV4 =
  'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
const AWS_DOC_SIGV4_SIGNATURE = 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';

// AWS S3 API reference, "Signing and authenticating REST requests", query string request
// authentication alternative (SigV2).
const AWS_DOC_SIGV2 =
  'https://awsexamplebucket1.s3.us-west-1.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620';

describe('redactUrl', () => {
  it('removes the signature and the access key id of a SigV4 URL and keeps the credential scope', () => {
    const out = redactUrl(AWS_DOC_SIGV4);
    expect(out).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED',
    );
    expectNoSecret(out, [AWS_DOC_SIGV4_SIGNATURE, 'AKIAIOSFODNN7EXAMPLE']);
  });

  it('removes Signature and AWSAccessKeyId of a SigV2 URL and keeps Expires', () => {
    expect(redactUrl(AWS_DOC_SIGV2)).toBe(
      'https://awsexamplebucket1.s3.us-west-1.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1175139620',
    );
  });

  it('removes the session token of a URL presigned with temporary credentials by the JS SDK', async () => {
    const url = await presign({ region: 'eu-west-1' }, 'my-bucket', { credentials: TEMPORARY });
    const secrets = secretsOf(url);
    expect(secrets).toHaveLength(3);
    const out = redactUrl(url);
    expectNoSecret(out, [...secrets, TEMPORARY.sessionToken, TEMPORARY.accessKeyId]);
    expect(out).toContain('X-Amz-Security-Token=REDACTED&');
    expect(out).toContain('X-Amz-Credential=REDACTED%2F20260115%2Feu-west-1%2Fs3%2Faws4_request&');
    // Everything that is not a secret is left as it was.
    expect(out).toContain('https://my-bucket.s3.eu-west-1.amazonaws.com/reports/2026/q1.csv?');
    expect(out).toContain('X-Amz-Date=20260115T102000Z&X-Amz-Expires=900&');
    expect(out).toContain('X-Amz-SignedHeaders=host&x-amz-checksum-mode=ENABLED&x-id=GetObject');
  });

  it.each([
    ['regional', { region: 'us-east-1' }],
    ['global', { region: 'us-east-1', useGlobalEndpoint: true }],
    ['path style', { region: 'us-west-2', forcePathStyle: true }],
    ['dual-stack', { region: 'us-west-2', useDualstackEndpoint: true }],
    ['FIPS', { region: 'us-west-2', useFipsEndpoint: true }],
    ['acceleration', { region: 'us-west-2', useAccelerateEndpoint: true }],
    [
      'interface endpoint',
      { region: 'us-east-1', endpoint: 'https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com' },
    ],
  ])('leaves no secret in a %s URL', async (_name, config) => {
    const url = await presign(config, 'my-bucket');
    const out = redactUrl(url);
    expectNoSecret(out, secretsOf(url));
    expect(out).toContain(`X-Amz-Signature=${REDACTED}`);
  });

  it('matches names in any letter case', () => {
    const out = redactUrl(
      'https://b.s3.us-east-1.amazonaws.com/k?x-amz-signature=0123abcd&X-AMZ-SECURITY-TOKEN=tok%2Fen&x-Amz-Credential=AKIAIOSFODNN7EXAMPLE/20260115/us-east-1/s3/aws4_request&signature=v2sig&awsaccesskeyid=AKIAIOSFODNN7EXAMPLE',
    );
    expect(out).toBe(
      'https://b.s3.us-east-1.amazonaws.com/k?x-amz-signature=REDACTED&X-AMZ-SECURITY-TOKEN=REDACTED&x-Amz-Credential=REDACTED/20260115/us-east-1/s3/aws4_request&signature=REDACTED&awsaccesskeyid=REDACTED',
    );
  });

  it('matches percent-encoded names and separators', () => {
    expect(redactUrl('https://b/k?X%2DAmz%2DSignature=0123abcd&a=1')).toBe(
      'https://b/k?X%2DAmz%2DSignature=REDACTED&a=1',
    );
    expect(redactUrl('https://b/k?%58-Amz-%53ignature=0123abcd&a=1')).toBe(
      'https://b/k?%58-Amz-%53ignature=REDACTED&a=1',
    );
    expect(redactUrl('https://b/k?X-Amz-Signature%3D0123abcd&a=1')).toBe(
      'https://b/k?X-Amz-Signature%3DREDACTED&a=1',
    );
  });

  it('removes every occurrence of a repeated parameter', () => {
    expect(
      redactUrl('https://b/k?X-Amz-Signature=aaaa&X-Amz-Signature=bbbb&Signature=cccc&Signature=dddd'),
    ).toBe(
      'https://b/k?X-Amz-Signature=REDACTED&X-Amz-Signature=REDACTED&Signature=REDACTED&Signature=REDACTED',
    );
  });

  it('redacts a presigned URL carried inside another URL, encoded once or twice', async () => {
    const inner = await presign({ region: 'us-east-1' }, 'my-bucket', { credentials: TEMPORARY });
    const once = `https://app.example.com/download?next=${encodeURIComponent(inner)}&lang=en`;
    const twice = `https://sso.example.com/login?return=${encodeURIComponent(once)}`;
    for (const outer of [once, twice]) {
      const out = redactUrl(outer);
      expectNoSecret(out, secretsOf(inner));
      expect(out).toContain('X-Amz-Date');
    }
    expect(redactUrl(once)).toMatch(/&lang=en$/);
  });

  it('redacts URLs that do not parse', () => {
    expect(redactUrl('https://[broken/k?X-Amz-Signature=0123abcd&Signature=zz')).toBe(
      'https://[broken/k?X-Amz-Signature=REDACTED&Signature=REDACTED',
    );
    expect(redactUrl('X-Amz-Security-Token=abc+/=')).toBe('X-Amz-Security-Token=REDACTED');
    expect(redactUrl('')).toBe('');
  });

  it('keeps a credential without a scope fully redacted and leaves empty values alone', () => {
    expect(redactUrl('https://b/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE&X-Amz-Signature=&a=1')).toBe(
      'https://b/k?X-Amz-Credential=REDACTED&X-Amz-Signature=&a=1',
    );
  });

  it('is idempotent and leaves text without secrets unchanged', () => {
    const once = redactUrl(AWS_DOC_SIGV4);
    expect(redactUrl(once)).toBe(once);
    const plain = 'https://my-bucket.s3.us-east-1.amazonaws.com/a%20b.txt?versionId=3%2F4&x-id=GetObject';
    expect(redactUrl(plain)).toBe(plain);
  });

  it('returns an empty string for a value that is not a string instead of throwing', () => {
    expect(redactUrl(undefined as unknown as string)).toBe('');
    expect(redactText(42 as unknown as string)).toBe('');
  });
});

describe('redactText', () => {
  it('redacts a presigned URL inside a log message and keeps the words around it', () => {
    const msg = `fetch failed (403) for ${AWS_DOC_SIGV2}, retrying in 2 s`;
    expect(redactText(msg)).toBe(
      'fetch failed (403) for https://awsexamplebucket1.s3.us-west-1.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1175139620, retrying in 2 s',
    );
  });

  it('redacts an Authorization header and keeps its scope', () => {
    // AWS S3 API reference, "Signature Calculations for the Authorization Header" example.
    const header =
      'Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41';
    expect(redactText(header)).toBe(
      'Authorization: AWS4-HMAC-SHA256 Credential=REDACTED/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=REDACTED',
    );
  });

  it('redacts the secrets of an S3 SignatureDoesNotMatch error body', () => {
    // Shape of the error body S3 returns for SignatureDoesNotMatch (S3 API reference, Error responses).
    const body =
      '<Error><Code>SignatureDoesNotMatch</Code><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><SignatureProvided>aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404</SignatureProvided><CanonicalRequest>GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&amp;X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&amp;X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2Fxyz</CanonicalRequest></Error>';
    const out = redactText(body);
    expectNoSecret(out, ['AKIAIOSFODNN7EXAMPLE', AWS_DOC_SIGV4_SIGNATURE, 'IQoJb3JpZ2luX2Vj%2Fxyz']);
    expect(out).toContain(
      '<AWSAccessKeyId>REDACTED</AWSAccessKeyId><SignatureProvided>REDACTED</SignatureProvided>',
    );
    expect(out).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('redacts JSON fields and JSON-escaped URLs', () => {
    const json = JSON.stringify({
      'X-Amz-Signature': 'abcd1234',
      credentials: {
        AccessKeyId: TEMPORARY.accessKeyId,
        SecretAccessKey: TEMPORARY.secretAccessKey,
        SessionToken: TEMPORARY.sessionToken,
      },
      url: AWS_DOC_SIGV4,
    });
    const out = redactText(json);
    expectNoSecret(out, [
      'abcd1234',
      TEMPORARY.accessKeyId,
      TEMPORARY.secretAccessKey,
      TEMPORARY.sessionToken,
      AWS_DOC_SIGV4_SIGNATURE,
    ]);
    expect(JSON.parse(out)).toMatchObject({
      'X-Amz-Signature': REDACTED,
      credentials: { SessionToken: REDACTED },
    });

    // Go and Java encoders write `&` as \u0026; PHP writes `/` as \/.
    expect(
      redactText(
        '"u":"https://b/k?Signature=ab\\/cd\\u0026AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE\\u0026Expires=1"',
      ),
    ).toBe('"u":"https://b/k?Signature=REDACTED\\u0026AWSAccessKeyId=REDACTED\\u0026Expires=1"');
  });

  it('redacts credentials in snake_case configuration text', () => {
    const text = `aws_access_key_id = ${LONG_TERM.accessKeyId}\naws_secret_access_key = ${LONG_TERM.secretAccessKey}\n`;
    expect(redactText(text)).toBe('aws_access_key_id = REDACTED\naws_secret_access_key = REDACTED\n');
  });

  it('leaves JSON that only mentions signatures intact', () => {
    const inspection =
      '{"signature":{"version":"sigv4","credentialKind":"temporary","hasSessionToken":false,"signatureCount":2},"findings":[]}';
    expect(redactText(inspection)).toBe(inspection);
    // A header line is not JSON: its unquoted value is a secret.
    expect(redactText('x-amz-security-token: IQoJb3JpZ2luX2Vj+/=')).toBe('x-amz-security-token: REDACTED');
  });
});

describe('redaction reads text as a URL parser does', () => {
  const SIG = 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';

  it('finds a name split by TAB, LF or CR, which Node and browsers strip before parsing', () => {
    for (const ws of ['\n', '\t', '\r\n', '\n\t\r']) {
      const url = `https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Sig${ws}nature=${SIG}&x-id=GetObject`;
      // The premise: the split name still signs the request.
      expect(new URL(url).searchParams.get('X-Amz-Signature')).toBe(SIG);
      expect(redactText(url)).toBe(
        `https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Sig${ws}nature=REDACTED&x-id=GetObject`,
      );
      expect(redactUrl(url)).toBe(
        'https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Signature=REDACTED&x-id=GetObject',
      );
    }
  });

  it('finds a value split by a line break, whole, and keeps the line break', () => {
    const text = `X-Amz-Signature=${SIG.slice(0, 20)}\n${SIG.slice(20)}&a=1`;
    expect(redactText(text)).toBe('X-Amz-Signature=REDACTED\n&a=1');
  });

  it('finds names split by JSON escapes and by percent-encoded whitespace in nested URLs', () => {
    const json = JSON.stringify({
      url: `https://b.s3.amazonaws.com/k?X-Amz-Cre\ndential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request`,
    });
    expect(redactText(json)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    const nested = `https://app.example.com/r?to=${encodeURIComponent(`https://b.s3.amazonaws.com/k?X-Amz-Sig\nnature=${SIG}`)}`;
    expect(redactText(nested)).not.toContain(SIG);
  });

  it("keeps each line's own name, and joins a value across a line break as a URL parser does", () => {
    const text = `Signature=${SIG}\nX-Amz-Security-Token=IQoJtoken\nplain line`;
    // The first word of the last line is read as the rest of the token: more removed, never less.
    expect(redactText(text)).toBe('Signature=REDACTED\nX-Amz-Security-Token=REDACTED\n line');
  });

  it('removes URL user info, plain, nested or in prose, and leaves e-mail addresses alone', () => {
    expect(redactText('https://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI%2FK7MDENG@b.s3.amazonaws.com/k')).toBe(
      'https://REDACTED@b.s3.amazonaws.com/k',
    );
    expect(redactText('GET https://u:p@ss@b.s3.amazonaws.com/k failed for ops@example.com')).toBe(
      'GET https://REDACTED@b.s3.amazonaws.com/k failed for ops@example.com',
    );
    expect(redactText(`r=${encodeURIComponent('https://AKID:SECRET@b.s3.amazonaws.com/k')}&n=a@b`)).toBe(
      `r=https%3A%2F%2FREDACTED%40b.s3.amazonaws.com%2Fk&n=a@b`,
    );
    // In a URL a space does not end the user info (the parser percent-encodes it).
    expect(redactUrl('https://AKID:SEC RET@b.s3.amazonaws.com/k')).toBe(
      'https://REDACTED@b.s3.amazonaws.com/k',
    );
    expect(redactText('https://b.s3.amazonaws.com/k@2x.png')).toBe('https://b.s3.amazonaws.com/k@2x.png');
  });

  it('readAsUrl strips what the WHATWG parser strips, and nothing else', () => {
    expect(readAsUrl(' \u0000https://b/k?a=\t1\r\n&b=%0A 2\u001f ')).toBe('https://b/k?a=1&b=%0A 2');
    const s = 'https://b/k?a=1\n';
    expect(new URL(s).href).toBe(new URL(readAsUrl(s)).href);
  });

  it('is still idempotent and leaves text without secrets byte for byte', () => {
    const texts = [
      `a\tb\nc\\n https://host/p?q=1 user@example.com %2F %0A`,
      `https://REDACTED@b/k?X-Amz-Sig\nnature=REDACTED`,
    ];
    expect(redactText(texts[0]!)).toBe(texts[0]);
    expect(redactText(texts[1]!)).toBe(texts[1]);
  });
});
