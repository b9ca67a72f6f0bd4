import { readFileSync } from 'node:fs';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../functions/aws/retry.js';
import { EVIDENCE_ENV } from '../../functions/lib/evidence-locations.js';
import { lambdaEnvSchema, parseLambdaEnv, settingsLoader } from '../../functions/lib/lambda-config.js';
import { invocationErrorFields, logInvocationErrors } from '../../functions/lib/log-errors.js';
import { UserInputError, ValidationError } from '../../shared/errors.js';
import { PATHGUARD_FLOW_FORMAT } from '../../shared/flow-logs/pathguard-format.js';

const CONFIG = readFileSync(new URL('../../pathguard.config.example.json', import.meta.url), 'utf8').trim();
const never = () => {
  throw new Error('no S3 read expected');
};

describe('parseLambdaEnv', () => {
  it('reads the variables the stack sets, typed', () => {
    const r = parseLambdaEnv({
      PATHGUARD_CONFIG: ` ${CONFIG} `,
      PATHGUARD_VANTAGE: 'vpc-app',
      PATHGUARD_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:pathguard-alerts',
      PATHGUARD_VPC_IDS: 'vpc-0a60eb65b4e1f2a3b, vpc-0b70eb65b4e1f2a3c',
      PATHGUARD_FLOW_LOG_FORMAT: PATHGUARD_FLOW_FORMAT.spec,
      PATHGUARD_ACCESS_LOG_BUCKET: 'pathguard-logs',
      PATHGUARD_ACCESS_LOG_PREFIX: '',
      PATHGUARD_ACCOUNT_ID: '123456789012',
      HOME: '/root',
    });
    if (!r.ok) throw r.error;
    expect(r.value).toMatchObject({
      config: CONFIG,
      vantage: 'vpc-app',
      topicArn: 'arn:aws:sns:us-east-1:123456789012:pathguard-alerts',
      vpcIds: ['vpc-0a60eb65b4e1f2a3b', 'vpc-0b70eb65b4e1f2a3c'],
      accountId: '123456789012',
      evidence: { PATHGUARD_ACCESS_LOG_BUCKET: 'pathguard-logs', PATHGUARD_ACCESS_LOG_PREFIX: '' },
    });
    expect(r.value.flowFormat?.spec).toBe(PATHGUARD_FLOW_FORMAT.spec);
    expect(r.value.flowFormat?.fields).toHaveLength(PATHGUARD_FLOW_FORMAT.fields.length);
  });

  it('validates every evidence location the stack can pass', () => {
    expect(Object.values(EVIDENCE_ENV).filter((name) => !(name in lambdaEnvSchema.shape))).toEqual([]);
  });

  it('treats an empty variable as unset, except a prefix', () => {
    const r = parseLambdaEnv({ PATHGUARD_CONFIG: CONFIG, PATHGUARD_VPC_IDS: '', PATHGUARD_TOPIC_ARN: '' });
    if (!r.ok) throw r.error;
    expect(r.value.vpcIds).toEqual([]);
    expect(r.value.topicArn).toBeUndefined();
    expect(r.value.flowFormat).toBeUndefined();
  });

  it('fails loudly on a bad flow-log format instead of dropping it', () => {
    const r = parseLambdaEnv({
      PATHGUARD_CONFIG: CONFIG,
      PATHGUARD_FLOW_LOG_FORMAT: '${version} ${srcaddr} ${srcaddr}',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(ValidationError);
    expect(r.error.issues).toEqual([
      { path: 'PATHGUARD_FLOW_LOG_FORMAT', message: "field 'srcaddr' appears twice" },
    ]);
  });

  it('names every bad variable at once', () => {
    const r = parseLambdaEnv({
      PATHGUARD_VPC_IDS: 'vpc-0a60eb65b4e1f2a3b,subnet-0abc',
      PATHGUARD_TOPIC_ARN: 'alerts',
      PATHGUARD_ACCOUNT_ID: '1234',
      PATHGUARD_CLOUDTRAIL_BUCKET: 'Not_A_Bucket',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.issues.map((i) => i.path).sort()).toEqual([
      'PATHGUARD_ACCOUNT_ID',
      'PATHGUARD_CLOUDTRAIL_BUCKET',
      'PATHGUARD_CONFIG',
      'PATHGUARD_TOPIC_ARN',
      'PATHGUARD_VPC_IDS[1]',
    ]);
    expect(r.error.message).toMatch(/^environment: /);
  });
});

describe('settingsLoader', () => {
  it('returns the validated config and environment', async () => {
    const settings = settingsLoader({ PATHGUARD_CONFIG: CONFIG, PATHGUARD_VANTAGE: 'vpc-app' }, never);
    const { cfg, env } = await settings();
    expect(cfg.vantages.map((v) => v.id)).toContain('vpc-app');
    expect(env.vantage).toBe('vpc-app');
  });

  it('rejects every call with the ValidationError of a bad variable, before any config read', async () => {
    const settings = settingsLoader(
      { PATHGUARD_CONFIG: 's3://bucket/config.json', PATHGUARD_FLOW_LOG_FORMAT: '${not a field}' },
      never,
    );
    await expect(settings()).rejects.toThrow(ValidationError);
    await expect(settings()).rejects.toThrow(/PATHGUARD_FLOW_LOG_FORMAT/);
  });
});

describe('failed invocations', () => {
  const URL =
    'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=0123456789abcdef';

  it('log an AWS fault with its code and its cause, redacted', () => {
    const sdk = Object.assign(new Error(`Access Denied for ${URL}`), { name: 'AccessDenied' });
    const fields = invocationErrorFields(new AwsCallError('S3 GetObject', sdk));
    expect(fields).toMatchObject({ kind: 'aws-fault', code: 'AWS_CALL_FAILED', errorName: 'AwsCallError' });
    expect(fields.causes).toEqual([
      { name: 'AccessDenied', message: expect.stringMatching(/^Access Denied/) },
    ]);
    expect(JSON.stringify(fields)).not.toContain('0123456789abcdef');
    expect(fields).not.toHaveProperty('stack');
  });

  it('log a bug with its stack and a user error without', () => {
    expect(invocationErrorFields(new TypeError('x is undefined'))).toMatchObject({
      kind: 'bug',
      errorName: 'TypeError',
      stack: expect.stringContaining('TypeError: x is undefined'),
    });
    expect(invocationErrorFields(new UserInputError('BAD_EVENT', 'unknown action'))).toEqual({
      kind: 'user-error',
      errorName: 'UserInputError',
      code: 'BAD_EVENT',
      reason: 'unknown action',
      causes: [],
    });
  });

  it('are logged once by the middleware and still fail the invocation', async () => {
    const lines: [string, Record<string, unknown>][] = [];
    const logger = {
      error: (m: string, f: Record<string, unknown>) => lines.push([m, f]),
    } as unknown as Logger;
    const handler = middy(async () => {
      throw new UserInputError('CONFIG_MISSING', 'no alert topic configured');
    }).use(logInvocationErrors(logger));
    await expect(handler({}, {} as never)).rejects.toThrow('no alert topic configured');
    expect(lines).toEqual([
      ['invocation failed', expect.objectContaining({ kind: 'user-error', code: 'CONFIG_MISSING' })],
    ]);
  });
});
