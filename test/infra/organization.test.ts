// The organisation deployment (issue 15 §1): examples/organization.config.json (three member
// accounts, two Regions, a log-archive account) synthesized as infra/app.ts does, bundling
// skipped; every cross-account grant and trust asserted, and cdk-nag clean in every stack.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseOrganizationEnv } from '../../functions/lib/organization-env.js';
import { type InfraConfig, loadInfraConfig } from '../../infra/config.js';
import { centralEnvironmentBytes } from '../../infra/organization-config.js';
import { CentralStack } from '../../infra/stacks/central-stack.js';
import { addPathGuardStacks } from '../../infra/stacks/index.js';
import { MemberStack } from '../../infra/stacks/member-stack.js';
import { ROOT } from './template-model.js';

const flags = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
const EXAMPLE = join(ROOT, 'examples/organization.config.json');
const MEMBERS = ['111122223333', '444455556666', '777788889999'];
const ORG = 'o-exampleorg1';
const CENTRAL_ROLE = 'arn:<P>:iam::210987654321:role/PathGuardCentralAnalyze-eu-west-1';

function synth(cfg: InfraConfig) {
  const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  addPathGuardStacks(app, cfg);
  const stacks = app.node.children.filter(
    (c): c is Stack => c instanceof CentralStack || c instanceof MemberStack,
  );
  const nag = new AwsSolutionsChecks(app).validateScope(app);
  return {
    app,
    stacks,
    nag: nag.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId)}`),
  };
}

/** A template with `{ Ref: AWS::Partition }` joins flattened to `<P>`, so ARNs compare as text. */
function flat(stack: Stack): Template & { json: Record<string, unknown> } {
  const t = Template.fromStack(stack);
  const text = JSON.stringify(t.toJSON()).replace(/\{"Ref":"AWS::Partition"\}/g, '"<P>"');
  const json = JSON.parse(text, (_k, v) => {
    const join = v?.['Fn::Join'];
    if (Array.isArray(join) && join[0] === '' && join[1].every((p: unknown) => typeof p === 'string'))
      return join[1].join('');
    return v;
  });
  return Object.assign(Template.fromJSON(json), { json });
}

function statements(json: Record<string, unknown>, type: string): Record<string, unknown>[] {
  const resources = (
    json as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }
  ).Resources;
  return Object.values(resources)
    .filter((r) => r.Type === type)
    .flatMap((r) => {
      const p = r.Properties;
      const doc = (p.PolicyDocument ?? p.KeyPolicy ?? p.AssumeRolePolicyDocument) as {
        Statement: Record<string, unknown>[];
      };
      return doc.Statement;
    });
}

const cfg = loadInfraConfig(EXAMPLE);
const { stacks, nag } = synth(cfg);
const central = stacks.find((s) => s instanceof CentralStack) as CentralStack;
const members = stacks.filter((s): s is MemberStack => s instanceof MemberStack);
const c = flat(central);

describe('organisation deployment of examples/organization.config.json', () => {
  it('synthesizes one central stack and a member stack per account x Region, each in its environment', () => {
    expect(central.account).toBe('210987654321');
    expect(central.region).toBe('eu-west-1');
    for (const m of members) expect(m.dependencies).toContain(central);
    expect(members.map((m) => `${m.account}/${m.region}`).sort()).toEqual(
      MEMBERS.flatMap((a) => [`${a}/eu-central-1`, `${a}/eu-west-1`]).sort(),
    );
  });

  it('is cdk-nag clean in every stack and in the StackSet template', () => {
    expect(nag).toEqual([]);
  });

  it('lets each member write and list only members/<its own account>/ of the results bucket', () => {
    const policy = statements(c.json, 'AWS::S3::BucketPolicy').filter((s) =>
      String(s.Sid).startsWith('Members'),
    );
    expect(policy).toEqual([
      {
        Sid: 'MembersWriteTheirOwnPrefix',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: {
          'Fn::Join': [
            '',
            [
              { 'Fn::GetAtt': [expect.stringMatching(/^ResultsStoreResults/), 'Arn'] },
              '/members/${aws:PrincipalAccount}/*',
            ],
          ],
        },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:PrincipalAccount': MEMBERS } },
      },
      {
        Sid: 'MembersListTheirOwnPrefix',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ResultsStoreResults/), 'Arn'] },
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:PrincipalAccount': MEMBERS },
          StringLike: { 's3:prefix': ['members/${aws:PrincipalAccount}/*'] },
        },
      },
    ]);
  });

  it('lets members use the data key only through S3 in the central Region, for the results bucket', () => {
    const key = statements(c.json, 'AWS::KMS::Key').filter((s) => String(s.Sid).startsWith('Members'));
    expect(key).toEqual([
      {
        Sid: 'MembersUseTheKeyThroughS3ForResults',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: {
          StringEquals: {
            'aws:PrincipalOrgID': ORG,
            'kms:CallerAccount': MEMBERS,
            'kms:ViaService': { 'Fn::Join': ['', ['s3.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
            'kms:EncryptionContext:aws:s3:arn': 'arn:<P>:s3:::example-org-pathguard-results',
          },
        },
      },
    ]);
  });

  it('names the analyze role and lets it assume exactly the six discovery roles, discovering nothing itself', () => {
    c.hasResourceProperties('AWS::IAM::Role', { RoleName: 'PathGuardCentralAnalyze-eu-west-1' });
    const analyze = statements(c.json, 'AWS::IAM::Policy');
    const assume = analyze.filter((s) => s.Action === 'sts:AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0]!.Resource).toEqual(
      MEMBERS.flatMap((a) => [
        `arn:<P>:iam::${a}:role/PathGuardDiscovery-eu-central-1`,
        `arn:<P>:iam::${a}:role/PathGuardDiscovery-eu-west-1`,
      ]),
    );
    expect(JSON.stringify(analyze)).not.toContain('ec2:Describe');
    c.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PATHGUARD_MEMBER_EXTERNAL_ID: 'pathguard-o-exampleorg1',
          PATHGUARD_MEMBER_ROLES: Match.stringLikeRegexp(
            '^111122223333:eu-west-1=arn:<P>:iam::111122223333:role/PathGuardDiscovery-eu-west-1,',
          ),
        }),
      },
    });
  });

  it('tells the analyze function every member, its VPC and vantages, in a form its cold start accepts', () => {
    const fn = Object.values(
      c.json.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).find(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('PATHGUARD_MEMBER_ROLES'),
    )!;
    const vars = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    // The function parses what the stack wrote (partition resolved as the deployment would).
    const env = Object.fromEntries(
      Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v.replaceAll('<P>', 'aws') : v]),
    );
    const r = parseOrganizationEnv(env);
    if (!r.ok) throw r.error;
    // The synth-time size check estimates this environment from above, and closely.
    const actual = Object.entries(env).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    const estimate = centralEnvironmentBytes(
      cfg.organization!.settings,
      cfg.organization!.members,
      cfg.configJson,
    );
    expect(estimate.total).toBeGreaterThanOrEqual(actual);
    expect(estimate.total).toBeLessThan(actual * 1.1);
    expect(r.value?.members.map((m) => `${m.account} ${m.region} ${m.vpcId} ${m.vantageIds}`)).toEqual([
      '111122223333 eu-west-1 vpc-00000000000000017 payments-west',
      '111122223333 eu-central-1 vpc-0000000000000002e payments-central',
      '444455556666 eu-west-1 vpc-00000000000000045 analytics-west',
      '444455556666 eu-central-1 vpc-0000000000000005c analytics-central',
      '777788889999 eu-west-1 vpc-00000000000000073 shared-services-west',
      '777788889999 eu-central-1 vpc-0000000000000008a shared-services-central',
    ]);
    expect(r.value?.externalId).toBe('pathguard-o-exampleorg1');
    expect(r.value?.logArchive).toEqual({
      organizationId: ORG,
      flowLogs: { bucket: 'example-org-log-archive-flow', prefix: 'flow/' },
      accessLogs: { bucket: 'example-org-log-archive-s3', prefix: 's3-access/' },
      cloudTrail: { bucket: 'aws-controltower-logs-999988887777-eu-west-1', prefix: 'o-exampleorg1/' },
    });
  });

  it("lets the analyze function read and write the members' folders of the results bucket, nothing else there", () => {
    const policy = statements(c.json, 'AWS::IAM::Policy');
    const results = policy.filter((s) =>
      [s.Resource].flat().some((r) => JSON.stringify(r).includes('ResultsStore')),
    );
    const onMembers = results.filter(
      (s) => s.Action !== 's3:ListBucket' && JSON.stringify(s.Resource).includes('/members/'),
    );
    expect(onMembers).toHaveLength(1);
    expect(onMembers[0]!.Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect([onMembers[0]!.Resource].flat()).toContainEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.any(String), 'Arn'] }, '/members/*']],
    });
    const lists = results.filter((s) => s.Action === 's3:ListBucket');
    expect(
      lists.flatMap(
        (l) => (l.Condition as { StringLike: { 's3:prefix': string[] } }).StringLike['s3:prefix'],
      ),
    ).toContain('members/*');
  });

  it('reads the log archive only under each member account of each configured source', () => {
    const policy = statements(c.json, 'AWS::IAM::Policy');
    const gets = policy.filter((s) => s.Action === 's3:GetObject').flatMap((s) => s.Resource as string[]);
    const archive = gets.filter((r) => typeof r === 'string' && !r.includes('pathguard-results'));
    expect(archive.sort()).toEqual(
      MEMBERS.flatMap((a) => [
        `arn:<P>:s3:::aws-controltower-logs-999988887777-eu-west-1/o-exampleorg1/AWSLogs/${ORG}/${a}/CloudTrail/*`,
        `arn:<P>:s3:::example-org-log-archive-flow/flow/AWSLogs/${a}/vpcflowlogs/*`,
        `arn:<P>:s3:::example-org-log-archive-s3/s3-access/${a}/*`,
      ]).sort(),
    );
    const lists = policy.filter(
      (s) => s.Action === 's3:ListBucket' && String(s.Resource).includes('archive-flow'),
    );
    expect(lists).toEqual([
      expect.objectContaining({
        Condition: { StringLike: { 's3:prefix': MEMBERS.map((a) => `flow/AWSLogs/${a}/vpcflowlogs/*`) } },
      }),
    ]);
  });

  it('deploys the discovery role as a service-managed StackSet with auto-deployment to the OUs', () => {
    c.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-workload1', 'ou-ab12-sharedsv1'] },
          Regions: ['eu-west-1', 'eu-central-1'],
        },
      ],
    });
    const body = JSON.parse(central.stackSet!.templateBody);
    const roles = Object.values(body.Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(roles.sort()).toEqual(['AWS::IAM::Policy', 'AWS::IAM::Role']);
    expect(body.Parameters).toBeUndefined();
    expect(body.Rules).toBeUndefined();
    const role = Object.values(
      body.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).find((r) => r.Type === 'AWS::IAM::Role')!;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(
      ':iam::210987654321:role/PathGuardCentralAnalyze-eu-west-1',
    );
    expect(role.Properties.RoleName).toEqual({
      'Fn::Join': ['', ['PathGuardDiscovery-', { Ref: 'AWS::Region' }]],
    });
  });

  it('puts each member probe under its own Region folder of its prefix, with the central key only through S3', () => {
    const m = members.find((s) => s.account === '444455556666' && s.region === 'eu-central-1')!;
    const t = flat(m);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PATHGUARD_VANTAGE: 'analytics-central',
          PATHGUARD_RESULTS_PREFIX: 'members/444455556666/eu-central-1/',
        }),
      },
      VpcConfig: { SubnetIds: ['subnet-00000000000000044'], SecurityGroupIds: Match.anyValue() },
    });
    const policy = statements(t.json, 'AWS::IAM::Policy');
    const central = policy
      .flatMap((s) => [s.Resource].flat())
      .filter((r) => String(r).includes('example-org-pathguard-results'));
    expect(central.length).toBeGreaterThan(0);
    for (const r of central)
      expect(String(r)).toMatch(
        /^arn:<P>:s3:::example-org-pathguard-results(\/members\/444455556666\/eu-central-1\/|$)/,
      );
    const lists = policy.filter(
      (s) => s.Action === 's3:ListBucket' && s.Resource === 'arn:<P>:s3:::example-org-pathguard-results',
    );
    for (const l of lists)
      for (const p of (l.Condition as { StringLike: { 's3:prefix': string[] } }).StringLike['s3:prefix'])
        expect(p).toMatch(/^members\/444455556666\/eu-central-1\//);
    expect(policy).toContainEqual(
      expect.objectContaining({
        Sid: 'CentralResultsKeyThroughS3',
        Resource: 'arn:<P>:kms:eu-west-1:210987654321:key/*',
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['s3.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
            'kms:EncryptionContext:aws:s3:arn': 'arn:<P>:s3:::example-org-pathguard-results',
          },
        },
      }),
    );
  });

  it("delivers a member's runner-subnet flow logs to the log archive in PathGuard's format", () => {
    const m = members.find((s) => s.account === '111122223333' && s.region === 'eu-west-1')!;
    flat(m).hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceId: 'subnet-00000000000000011',
      ResourceType: 'Subnet',
      LogDestinationType: 's3',
      LogDestination: 'arn:<P>:s3:::example-org-log-archive-flow/flow',
      MaxAggregationInterval: 60,
      LogFormat: Match.stringLikeRegexp('\\$\\{interface-id\\}'),
    });
  });
});

describe('alarms of the central stack', () => {
  it('alarms on the topic as soon as a member run fails, and not while no member fails', () => {
    const topics = Object.keys(c.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const alarms = Object.values(
      c.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'MemberRunFailed' } }),
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.Properties).toMatchObject({
      // What analyzeOrganization emits: one count per failed member, the handlers' service dimension.
      Namespace: 'PathGuard',
      Dimensions: [{ Name: 'service', Value: 'pathguard' }],
      Statistic: 'Sum',
      Period: cfg.monitoring.scheduleMinutes * 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      // A run with no failed member emits no MemberRunFailed datapoint.
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topics[0] }],
    });
  });

  it('keeps the analyze errors, silent-run and alerts-published alarms beside it', () => {
    const names = Object.values(c.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.MetricName,
    );
    expect(names.sort()).toEqual(['Errors', 'MemberRunFailed', 'NumberOfMessagesPublished', 'RunSucceeded']);
  });
});

describe('organisation without a StackSet', () => {
  const doc = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
  delete doc.organization.stackSet;
  const dir = mkdtempSync(join(tmpdir(), 'pg-org-'));
  const file = join(dir, 'organization.config.json');
  writeFileSync(file, JSON.stringify(doc));
  const { stacks: s2, nag: nag2 } = synth(loadInfraConfig(file));
  rmSync(dir, { recursive: true, force: true });

  it('puts the discovery role in each member stack, trusting only the central analyze role inside the organisation', () => {
    expect(nag2).toEqual([]);
    for (const m of s2.filter((s): s is MemberStack => s instanceof MemberStack)) {
      const trust = statements(flat(m).json, 'AWS::IAM::Role').filter(
        (s) => (s.Principal as { AWS?: unknown }).AWS !== undefined,
      );
      expect(trust).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: 'arn:<P>:iam::210987654321:root' },
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': CENTRAL_ROLE },
            StringEquals: { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'pathguard-o-exampleorg1' },
          },
        },
      ]);
      flat(m).hasResourceProperties('AWS::IAM::Role', { RoleName: `PathGuardDiscovery-${m.region}` });
    }
  });
});

describe('organization config errors name the field', () => {
  const base = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
  function issuesOf(edit: (doc: typeof base) => void): string[] {
    const doc = structuredClone(base);
    edit(doc);
    const dir = mkdtempSync(join(tmpdir(), 'pg-org-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(doc));
    try {
      loadInfraConfig(file);
      return [];
    } catch (e) {
      return ((e as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each([
    [
      'a malformed organization id',
      (d: typeof base) => {
        d.organization.id = 'org-1';
      },
      'organization.id',
    ],
    [
      'a member account that is not 12 digits',
      (d: typeof base) => {
        d.organization.members[1].account = '4444';
      },
      'organization.members[1].account',
    ],
    [
      'a Region listed twice for one account',
      (d: typeof base) => {
        d.organization.members[0].regions[1].region = 'eu-west-1';
      },
      'organization.members[0].regions[1].region',
    ],
    [
      'a vantage whose subnet no member lists',
      (d: typeof base) => {
        d.vantages[2].subnetId = 'subnet-0fffffffffffffff0';
      },
      'vantages[2].subnetId',
    ],
    [
      'flow logs enabled with no archive location',
      (d: typeof base) => {
        delete d.organization.logArchive.flowLogs;
      },
      'organization.logArchive.flowLogs',
    ],
    [
      'a StackSet Region no member has',
      (d: typeof base) => {
        d.organization.stackSet.regions = ['us-east-1'];
      },
      'organization.stackSet.regions[0]',
    ],
    [
      'an OU id in the wrong form',
      (d: typeof base) => {
        d.organization.stackSet.organizationalUnitIds = ['workloads'];
      },
      'organization.stackSet.organizationalUnitIds[0]',
    ],
    [
      'more members x Regions than the central function environment holds',
      (d: typeof base) => {
        for (let i = 0; i < 12; i++)
          d.organization.members.push({
            account: String(100000000000 + i),
            regions: [structuredClone(d.organization.members[0].regions[0])],
          });
        for (const [i, m] of d.organization.members.slice(3).entries())
          m.regions[0].network.subnets[0].subnetId = `subnet-0${String(i).padStart(16, '0')}`;
      },
      'organization.members',
    ],
    [
      'a single-account network beside the organisation',
      (d: typeof base) => {
        d.deployment.network = d.organization.members[0].regions[0].network;
      },
      'deployment.network',
    ],
  ])('%s', (_name, edit, path) => {
    expect(issuesOf(edit)).toEqual([path]);
  });

  it('accepts the example as it is', () => {
    expect(issuesOf(() => {})).toEqual([]);
  });
});
