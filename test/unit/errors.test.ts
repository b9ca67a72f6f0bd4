import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../functions/aws/retry.js';
import { InputReadError } from '../../functions/lib/input.js';
import {
  causeChain,
  errorKind,
  PathGuardError,
  ServiceCallError,
  UserInputError,
  ValidationError,
} from '../../shared/errors.js';
import { WriteConflictError } from '../../shared/ports/index.js';

describe('the error hierarchy', () => {
  it('tells a user error from an AWS fault from a coded fault from a bug', () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400, requestId: 'r-1', attempts: 8 },
    });
    expect(errorKind(new UserInputError('USAGE', 'unknown option --x'))).toBe('user-error');
    expect(errorKind(new InputReadError('flows.log', 'truncated gzip'))).toBe('user-error');
    expect(errorKind(new ValidationError('config', [{ path: 'region', message: 'Required' }]))).toBe(
      'user-error',
    );
    expect(errorKind(new AwsCallError('EC2 DescribeVpcs', throttled))).toBe('aws-fault');
    expect(errorKind(new WriteConflictError('state/alerts.json'))).toBe('fault');
    expect(errorKind(new PathGuardError('STORE_NOT_JSON', 'not JSON'))).toBe('fault');
    expect(errorKind(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe('bug');
    expect(errorKind('a string thrown')).toBe('bug');
    expect(errorKind(undefined)).toBe('bug');
  });

  it('makes AwsCallError a coded PathGuard error that keeps the SDK error as its cause', () => {
    const sdk = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403, requestId: 'REQ123' },
    });
    const e = new AwsCallError('S3 GetObject', sdk);
    expect(e).toBeInstanceOf(ServiceCallError);
    expect(e).toBeInstanceOf(PathGuardError);
    expect(e.name).toBe('AwsCallError');
    expect(e.code).toBe('AWS_CALL_FAILED');
    expect(e.cause).toBe(sdk);
    expect(e.context).toMatchObject({ operation: 'S3 GetObject', awsCode: 'AccessDenied', httpStatus: 403 });
  });

  it('keeps the cause of a user error', () => {
    const cause = new SyntaxError('Unexpected token n in JSON');
    const e = new UserInputError('CONFIG_NOT_JSON', 'config is not JSON', {}, 2, { cause });
    expect(e.cause).toBe(cause);
    expect(e.exitCode).toBe(2);
  });

  it('lists the causes behind an error, outermost first, bounded on a cycle', () => {
    const root = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const sdk = new Error('request failed', { cause: root });
    const top = new AwsCallError('S3 PutObject', sdk);
    expect(causeChain(top)).toEqual([
      { name: 'Error', message: 'request failed' },
      { name: 'Error', code: 'ECONNRESET', message: 'socket hang up' },
    ]);
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(causeChain(new Error('top', { cause: a }), 3)).toHaveLength(3);
    expect(causeChain(new Error('alone'))).toEqual([]);
    expect(causeChain(new Error('odd', { cause: 42 }))).toEqual([{ name: 'number', message: '42' }]);
  });
});
