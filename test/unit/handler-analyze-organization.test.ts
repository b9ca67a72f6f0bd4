// The analyze handler deployed by the central stack (issue 15 §1): with the member variables the
// stack sets, a run analyses the members on their discovery roles and nothing of its own account
// (refusals of malformed member variables: test/unit/organization-env.test.ts).
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { analyzeFunction, EXAMPLE_CONFIG } from './analyze-handler.js';
import { ec2, fakeEc2 } from './ec2-discovery-fakes.js';

const MEMBER = '111122223333';
const ROLE = `arn:aws:iam::${MEMBER}:role/PathGuardDiscovery-us-east-1`;
const VARS = {
  PATHGUARD_CONFIG: JSON.stringify({
    ...EXAMPLE_CONFIG,
    vantages: [{ id: 'vpc-app', kind: 'vpc', subnetId: 'subnet-0a1a1a1a1a1a1a1a1' }],
  }),
  PATHGUARD_TOPIC_ARN: 'arn:aws:sns:us-east-1:210987654321:pathguard-alerts',
  PATHGUARD_ACCOUNT_ID: '210987654321',
  PATHGUARD_MEMBER_ROLES: `${MEMBER}:us-east-1=${ROLE}`,
  PATHGUARD_MEMBER_NETWORKS: JSON.stringify([
    { account: MEMBER, region: 'us-east-1', vpcId: 'vpc-0a60eb65b4e1f2a3b', vantages: ['vpc-app'] },
  ]),
  PATHGUARD_MEMBER_EXTERNAL_ID: 'pathguard-o-exampleorg1',
  PATHGUARD_LOG_ARCHIVE: JSON.stringify({
    organizationId: 'o-exampleorg1',
    flowLogs: { bucket: 'example-org-log-archive-flow', prefix: 'flow/' },
  }),
};
const analyze = analyzeFunction(VARS, ['PATHGUARD_VPC_IDS']);

const s3 = mockClient(S3Client);
const sts = mockClient(STSClient);
const sns = mockClient(SNSClient);

describe('analyze function of an organisation', () => {
  it('analyses the member on its discovery role and writes only under its folder', async () => {
    fakeEc2();
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAMEMBER',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + 3600_000),
      },
    });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
    s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const r = await analyze({ action: 'analyze' });

    expect(r).toMatchObject({
      membersFailed: 0,
      members: [{ account: MEMBER, region: 'us-east-1', ok: true, prefix: `members/${MEMBER}/us-east-1/` }],
    });
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ RoleArn: ROLE, ExternalId: 'pathguard-o-exampleorg1' }),
    ]);
    expect(ec2.calls().length).toBeGreaterThan(0);
    const keys = s3.commandCalls(PutObjectCommand).map((c) => (c.args[0].input as PutObjectCommandInput).Key);
    expect(keys).toContain(`members/${MEMBER}/us-east-1/environment/latest.json`);
    for (const k of keys) expect(k).toMatch(new RegExp(`^members/${MEMBER}/us-east-1/`));
  }, 30_000);
});
