// Member discovery through STS role chaining (issue 15 §1): the central analyzer's credentials
// per member come from AssumeRole on that member's discovery role (external id, one-hour session),
// cached until shortly before expiry; discovery then runs on an EC2 client holding them.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { discoverEnvironment } from '../../functions/aws/discovery.js';
import {
  assumedRoleCredentials,
  MemberClients,
  parseMemberRoles,
} from '../../functions/aws/member-access.js';
import { ec2, fakeEc2 } from './ec2-discovery-fakes.js';

const sts = mockClient(STSClient);
beforeEach(() => {
  sts.reset();
  ec2.reset();
});

const ROLES =
  '111122223333:eu-west-1=arn:aws:iam::111122223333:role/PathGuardDiscovery-eu-west-1,' +
  '444455556666:eu-central-1=arn:aws:iam::444455556666:role/PathGuardDiscovery-eu-central-1';
const T0 = Date.parse('2026-12-03T12:00:00Z');

/** STS answers each AssumeRole with keys named after the role's account and the call's number. */
function fakeSts() {
  let n = 0;
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    n += 1;
    const account = input.RoleArn.split(':')[4];
    return {
      Credentials: {
        AccessKeyId: `ASIA${account}${n}`,
        SecretAccessKey: `secret-${account}-${n}`,
        SessionToken: `token-${account}-${n}`,
        Expiration: new Date(T0 + 3600_000),
      },
    };
  });
}

describe('parseMemberRoles', () => {
  it('reads the central stack’s account:region=roleArn list', () => {
    const r = parseMemberRoles(ROLES);
    expect(r.ok && r.value).toEqual([
      {
        account: '111122223333',
        region: 'eu-west-1',
        roleArn: 'arn:aws:iam::111122223333:role/PathGuardDiscovery-eu-west-1',
      },
      {
        account: '444455556666',
        region: 'eu-central-1',
        roleArn: 'arn:aws:iam::444455556666:role/PathGuardDiscovery-eu-central-1',
      },
    ]);
  });

  it.each([
    ['a role in another account than its entry', '111122223333:eu-west-1=arn:aws:iam::999999999999:role/X'],
    ['no Region', '111122223333=arn:aws:iam::111122223333:role/X'],
    ['not a role ARN', '111122223333:eu-west-1=arn:aws:iam::111122223333:user/X'],
  ])('refuses %s, naming the entry', (_what, text) => {
    const r = parseMemberRoles(`${ROLES},${text}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/entry 3 /);
  });
});

describe('assumedRoleCredentials', () => {
  it('assumes the role with the external id for a one-hour chained session, once until near expiry', async () => {
    fakeSts();
    let now = T0;
    const creds = assumedRoleCredentials(
      new STSClient({ region: 'eu-west-1' }),
      'arn:aws:iam::111122223333:role/R',
      {
        externalId: 'pathguard-o-exampleorg1',
        now: () => now,
      },
    );
    const [a, b] = await Promise.all([creds(), creds()]);
    expect(a.accessKeyId).toBe('ASIA1111222233331');
    expect(b).toBe(a);
    now = T0 + 3600_000 - 300_001; // just outside the five-minute margin: still cached
    expect((await creds()).accessKeyId).toBe('ASIA1111222233331');
    now = T0 + 3600_000 - 299_999; // inside it: a new session
    expect((await creds()).accessKeyId).toBe('ASIA1111222233332');
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: 'arn:aws:iam::111122223333:role/R',
        RoleSessionName: 'pathguard-analyze',
        DurationSeconds: 3600,
        ExternalId: 'pathguard-o-exampleorg1',
      },
      expect.objectContaining({ RoleArn: 'arn:aws:iam::111122223333:role/R' }),
    ]);
  });

  it('names the role when AssumeRole is denied, and tries again on the next call', async () => {
    const denied = Object.assign(new Error('not authorized to perform sts:AssumeRole'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    sts.on(AssumeRoleCommand).rejectsOnce(denied);
    const creds = assumedRoleCredentials(
      new STSClient({ region: 'eu-west-1' }),
      'arn:aws:iam::111122223333:role/R',
      {
        now: () => T0,
      },
    );
    await expect(creds()).rejects.toMatchObject({
      code: 'AWS_CALL_FAILED',
      awsCode: 'AccessDenied',
      message: expect.stringContaining('STS AssumeRole arn:aws:iam::111122223333:role/R'),
    });
    fakeSts();
    expect((await creds()).accessKeyId).toMatch(/^ASIA111122223333/);
  });

  it('refuses a response without complete credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: undefined });
    const creds = assumedRoleCredentials(
      new STSClient({ region: 'eu-west-1' }),
      'arn:aws:iam::111122223333:role/R',
    );
    await expect(creds()).rejects.toThrow(/no complete credentials/);
  });
});

describe('MemberClients', () => {
  it('discovers each member on an EC2 client in its Region holding that member’s assumed credentials', async () => {
    fakeSts();
    fakeEc2();
    const roles = parseMemberRoles(ROLES);
    if (!roles.ok) throw roles.error;
    const members = new MemberClients(new STSClient({ region: 'eu-west-1' }), roles.value, {
      externalId: 'x-id',
      now: () => T0,
    });
    const west = await members.ec2('111122223333', 'eu-west-1');
    const r = await discoverEnvironment(west, { region: 'eu-west-1', vpcIds: ['vpc-0a60eb65b4e1f2a3b'] });
    expect(r.environment.vpcs.map((v) => v.vpcId)).toEqual(['vpc-0a60eb65b4e1f2a3b']);
    expect(await west.config.region()).toBe('eu-west-1');
    expect((await west.config.credentials()).accessKeyId).toBe('ASIA1111222233331');
    const central = await members.ec2('444455556666', 'eu-central-1');
    expect(await central.config.region()).toBe('eu-central-1');
    expect((await central.config.credentials()).accessKeyId).toBe('ASIA4444555566662');
    // One AssumeRole per member however many calls discovery made.
    expect(ec2.calls().length).toBeGreaterThan(5);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
      'arn:aws:iam::111122223333:role/PathGuardDiscovery-eu-west-1',
      'arn:aws:iam::444455556666:role/PathGuardDiscovery-eu-central-1',
    ]);
    expect(await members.ec2('111122223333', 'eu-west-1')).toBe(west);
    await expect(members.ec2('111122223333', 'us-east-1')).rejects.toThrow(
      /no discovery role for member 111122223333 in us-east-1/,
    );
  });
});
