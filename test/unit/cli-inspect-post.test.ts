// Issue 17 §2: `pathguard inspect-url` reads presigned POST forms as an argument and on standard
// input (one per line, or one JSON document, pretty-printed or a list), and the Lambda inspect-url
// action takes `post`. No output holds a secret of the forms used here.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseHandlerEvent } from '../../functions/lib/events.js';
import type { PostInspection } from '../../shared/endpoints/inspect-post.js';
import { boto3PresignedPost, type PostForm, presignPost } from './presigned-posts.js';
import { presign, TEMPORARY } from './presigned-urls.js';
import { runCli } from './run-cli.js';

const NOW = ['--now', '2026-01-15T10:21:00Z'];
let secrets: string[] = [];

async function run(args: string[], stdin = '') {
  const r = await runCli(['inspect-url', ...args], stdin);
  for (const s of secrets)
    expect(r.stdout.includes(s) || r.stderr.includes(s), 'a secret reached the output').toBe(false);
  return r;
}

const ndjson = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PostInspection);

let js: PostForm;
let boto: PostForm;
let url: string;

beforeAll(async () => {
  js = await presignPost(
    { region: 'us-east-1' },
    { Bucket: 'my-bucket', Key: 'uploads/${filename}', Conditions: [['content-length-range', 1, 1024]] },
    TEMPORARY,
  );
  boto = boto3PresignedPost({ bucket: 'amzn-s3-demo-bucket', key: 'OBJECT_NAME' });
  url = await presign({ region: 'us-east-1' }, 'my-bucket');
  secrets = [js, boto].flatMap((f) =>
    Object.entries(f.fields)
      .filter(([k]) => /signature|token|accesskeyid|policy/i.test(k))
      .map(([, v]) => v),
  );
  secrets.push(TEMPORARY.accessKeyId, TEMPORARY.sessionToken);
});

describe('inspect-url with presigned POST forms', () => {
  it('reads a form given as an argument: JSON with the policy reading, table with a POST row', async () => {
    const r = await run([...NOW, '--json', JSON.stringify(js)]);
    expect(r.code).toBe(0);
    const [row] = ndjson(r.stdout);
    expect(row).toMatchObject({
      endpointKind: 'regional',
      bucket: 'my-bucket',
      key: 'uploads/${filename}',
      signature: { version: 'sigv4', credentialKind: 'temporary' },
      post: {
        policy: {
          key: { match: 'starts-with', value: 'uploads/' },
          contentLengthRange: { min: 1, max: 1024 },
        },
      },
    });
    const table = await run([...NOW, JSON.stringify(js)]);
    expect(table.stdout).toContain('regional (virtual) POST');
    expect(table.stdout).toContain(
      'post policy: expires 2026-01-15T11:20:00Z, bucket my-bucket, key starts-with "uploads/", content-length-range 1..1024',
    );
  });

  it('reads forms on standard input: one per line mixed with URLs, a pretty-printed form, a list of forms', async () => {
    const lines = await run(
      [...NOW, '--json', '-'],
      `${JSON.stringify(js)}\n${url}\n${JSON.stringify(boto)}\n`,
    );
    expect(lines.code).toBe(0);
    const rows = ndjson(lines.stdout);
    expect(rows.map((x) => [x.endpointKind, x.post !== undefined])).toEqual([
      ['regional', true],
      ['regional', false],
      ['global', true],
    ]);
    const pretty = await run([...NOW, '--json', '-'], JSON.stringify(boto, null, 2));
    expect(ndjson(pretty.stdout).map((x) => x.key)).toEqual(['OBJECT_NAME']);
    const list = await run([...NOW, '--json', '-'], JSON.stringify([js, boto], null, 2));
    expect(ndjson(list.stdout).map((x) => x.signature.version)).toEqual(['sigv4', 'sigv2']);
  });

  it('--fail-on medium exits 3 on the boto3 form (SigV2, no size limit)', async () => {
    const r = await run([...NOW, '--fail-on', 'medium', JSON.stringify(boto)]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('POST_POLICY_NO_LENGTH_LIMIT');
  });

  it('a bad form argument is a usage error naming what is wrong, without echoing it', async () => {
    const broken = `${JSON.stringify(js).slice(0, 200)}`;
    const r = await run([...NOW, broken]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('argument 1 is not a presigned POST form: not JSON');
    expect(r.stderr).not.toContain('my-bucket');
    const noFields = await run([...NOW, '{"url": "https://b.s3.us-east-1.amazonaws.com/"}']);
    expect(noFields.stderr).toContain('no "fields" object');
  });

  it('bad forms on standard input are counted by line, the good ones inspected; a broken document is one reject', async () => {
    const r = await run([...NOW, '--json', '-'], `${JSON.stringify(js)}\n{"url": 1}\n{not json\n`);
    expect(r.code).toBe(2);
    expect(ndjson(r.stdout)).toHaveLength(1);
    expect(r.stderr).toContain('rejected 2');
    const doc = await run([...NOW, '--json', '-'], '[\n{"url": "x",\n');
    expect(doc.code).toBe(2);
    expect(doc.stderr).toContain('not valid JSON');
  });

  it('a form whose policy is unreadable is inspected with coded findings (exit 0 without --fail-on)', async () => {
    const bad = { url: js.url, fields: { ...js.fields, Policy: 'not base64!' } };
    const r = await run([...NOW, '--json', JSON.stringify(bad)]);
    expect(r.code).toBe(0);
    const [row] = ndjson(r.stdout);
    expect(row?.findings.map((f) => f.code)).toContain('POST_POLICY_NOT_BASE64');
    expect(row?.post.policy).toBeNull();
  });
});

describe('the Lambda inspect-url action with a form', () => {
  it('takes post (an object or its JSON text), and refuses url and post together', () => {
    expect(parseHandlerEvent({ action: 'inspect-url', post: js })).toEqual({
      kind: 'inspect-post',
      post: js,
    });
    expect(parseHandlerEvent({ action: 'inspect-url', post: JSON.stringify(js) })).toMatchObject({
      kind: 'inspect-post',
    });
    expect(() => parseHandlerEvent({ action: 'inspect-url', url, post: js })).toThrow(
      'inspect-url takes either url or post',
    );
    expect(() => parseHandlerEvent({ action: 'inspect-url' })).toThrow(
      'inspect-url takes either url or post',
    );
  });
});
