// The central analyze function of an organisation (issue 15 §1): every member account x Region
// analysed on its own discovery role's credentials (STS role chaining, asserted per EC2 call),
// its network discovered in its Region, its probes read from and its verdicts written to its
// folder of the central results bucket, its flow logs and CloudTrail read from the log archive
// under its account, its alerts naming it; a denied member and a member whose archive prefix is
// refused are reported and never stop the others, and never turn compliant.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { discoverEnvironment } from '../../functions/aws/discovery.js';
import { SnsAlertSink } from '../../functions/aws/sns-sink.js';
import { analyzeOrganization } from '../../functions/lib/member-analysis.js';
import type { OrganizationEnv } from '../../functions/lib/organization-env.js';
import { validateConfig } from '../../shared/config/index.js';
import { observationKey, probeRecordKey } from '../../shared/probes/results-keys.js';
import { s3Body } from './aws-fakes.js';
import { ec2, fakeEc2 } from './ec2-discovery-fakes.js';

const s3 = mockClient(S3Client);
const sts = mockClient(STSClient);
const sns = mockClient(SNSClient);

const RESULTS = 'example-org-pathguard-results';
const FLOW_ARCHIVE = 'example-org-log-archive-flow';
const TRAIL_ARCHIVE = 'aws-controltower-logs-999988887777-us-east-1';
const ORG = 'o-exampleorg1';
const [A, B, C] = ['111122223333', '444455556666', '777788889999'];
const REGION = 'us-east-1'; // the Region of the EC2 fixture's network

const cfgDoc = JSON.parse(
  readFileSync(new URL('../fixtures/analyze/config.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const parsed = validateConfig({
  ...cfgDoc,
  resultsBucket: RESULTS,
  targets: [{ bucket: 'example-data-bucket', region: REGION, styles: ['regional', 'global'] }],
  alerts: { topicArn: 'arn:aws:sns:us-east-1:210987654321:pathguard-alerts' },
});
if (!parsed.ok) throw parsed.error;
// The EC2 fixture's runner subnet and its neighbours (their ids are readable, not hex, so they are
// set after validation): payments and analytics on the runner table, shared on the public one.
const cfg = {
  ...parsed.value,
  vantages: [
    { id: 'payments', kind: 'vpc' as const, subnetId: 'subnet-0runner000e1f2a3b' },
    { id: 'analytics', kind: 'vpc' as const, subnetId: 'subnet-0mainonly0e1f2a3b' },
    { id: 'shared', kind: 'vpc' as const, subnetId: 'subnet-0public000e1f2a3b' },
  ],
};

const role = (account: string) => `arn:aws:iam::${account}:role/PathGuardDiscovery-${REGION}`;
const organization: OrganizationEnv = {
  members: [
    {
      account: A,
      region: REGION,
      roleArn: role(A),
      vpcId: 'vpc-0a60eb65b4e1f2a3b',
      vantageIds: ['payments'],
    },
    {
      account: B,
      region: REGION,
      roleArn: role(B),
      vpcId: 'vpc-0a60eb65b4e1f2a3b',
      vantageIds: ['analytics'],
    },
    { account: C, region: REGION, roleArn: role(C), vpcId: 'vpc-0a60eb65b4e1f2a3b', vantageIds: ['shared'] },
  ],
  externalId: 'pathguard-o-exampleorg1',
  logArchive: {
    organizationId: ORG,
    flowLogs: { bucket: FLOW_ARCHIVE, prefix: 'flow/' },
    accessLogs: { bucket: 'example-org-log-archive-s3', prefix: 's3-access/' },
    cloudTrail: { bucket: TRAIL_ARCHIVE, prefix: `${ORG}/` },
  },
};

// Two probes of A (one through the gateway endpoint, one to an address outside the S3 prefix
// list, so through the NAT gateway) and one of B, from the analyze fixtures' first probe.
const fixtureProbe = JSON.parse(
  readFileSync(new URL('../fixtures/analyze/probes.ndjson', import.meta.url), 'utf8').split('\n')[0]!,
);
const fixtureObs = JSON.parse(
  readFileSync(new URL('../fixtures/analyze/observations.ndjson', import.meta.url), 'utf8').split('\n')[0]!,
);
function probeOf(suffix: string, vantage: string, subnetId: string, remote: string, style = 'regional') {
  const probeId = `01JDQ7ZT0000000000000000${suffix}`;
  return {
    probe: { ...fixtureProbe, probeId, style, vantage: { id: vantage, kind: 'vpc', subnetId } },
    observation: {
      ...fixtureObs,
      probeId,
      runnerId: vantage,
      remoteAddress: remote,
      dns: { answers: [{ address: remote, family: 4 }] },
    },
  };
}
const PROBES = {
  [A]: [
    probeOf('A1', 'payments', 'subnet-0runner000e1f2a3b', '54.231.0.10'),
    probeOf('A2', 'payments', 'subnet-0runner000e1f2a3b', '3.5.32.1'),
  ],
  [B]: [probeOf('B1', 'analytics', 'subnet-0mainonly0e1f2a3b', '54.231.0.11')],
};

// The Lambda ENI's flows of the probe minute, as S3 delivers them to the archive under A.
const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const t = Date.UTC(2026, 10, 25, 10, 0) / 1000;
const flow = (dst: string, port: number) =>
  `2 ${A} eni-0lambda000e1f2a3b 10.0.1.77 ${dst} ${port} 443 6 10 840 ${t} ${t + 59} ACCEPT OK`;
const flowFolder = (account: string) => `flow/AWSLogs/${account}/vpcflowlogs/${REGION}/2026/11/25/`;
const FLOW_KEY = `${flowFolder(A)}${A}_vpcflowlogs_${REGION}_fl-0archive0000000a1_20261125T1000Z_aa11bb22.log.gz`;

const now = new Date('2026-11-25T10:31:00Z');
const since = new Date('2026-11-25T09:55:00Z');
const noSuchKey = () => Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
const denied = (what: string) =>
  Object.assign(new Error(`not authorized to perform ${what}`), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  });

/** The results bucket in memory (Get, Put, List with prefix and start-after); the archive as given. */
let results: Map<string, string>;
async function fakeS3(opts: { deniedFlowPrefix?: string } = {}) {
  results = new Map();
  // The snapshot an earlier run stored before the probes were planned: the route tables in force.
  const environment = (
    await discoverEnvironment(new EC2Client({ region: REGION }), {
      region: REGION,
      vpcIds: ['vpc-0a60eb65b4e1f2a3b'],
    })
  ).environment;
  ec2.resetHistory();
  for (const account of [A, B, C])
    results.set(
      `members/${account}/${REGION}/environment/snapshots/2026-11-25T09:50:00.000Z-0123456789ab.json`,
      JSON.stringify({ capturedAt: '2026-11-25T09:50:00.000Z', environment }),
    );
  for (const [account, probes] of Object.entries(PROBES))
    for (const { probe, observation } of probes) {
      const own = `members/${account}/${REGION}/`;
      results.set(own + probeRecordKey(probe), JSON.stringify(probe));
      results.set(own + observationKey(probe.runId, probe.probeId), JSON.stringify(observation));
    }
  s3.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
    const prefix = input.Prefix ?? '';
    if (input.Bucket === FLOW_ARCHIVE && opts.deniedFlowPrefix && prefix.startsWith(opts.deniedFlowPrefix))
      throw denied('s3:ListBucket');
    if (input.Bucket === FLOW_ARCHIVE)
      return { Contents: FLOW_KEY.startsWith(prefix) ? [{ Key: FLOW_KEY, LastModified: now }] : [] };
    if (input.Bucket !== RESULTS) return { Contents: [] };
    const keys = [...results.keys()]
      .filter((k) => k.startsWith(prefix) && (!input.StartAfter || k > input.StartAfter))
      .sort();
    return { Contents: keys.map((Key) => ({ Key })) };
  });
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    if (input.Bucket === FLOW_ARCHIVE && input.Key === FLOW_KEY)
      return {
        Body: s3Body([gzipSync(`${HEADER}\n${flow('54.231.0.10', 41002)}\n${flow('3.5.32.1', 41003)}\n`)]),
      };
    const body = input.Bucket === RESULTS ? results.get(input.Key ?? '') : undefined;
    if (body === undefined) throw noSuchKey();
    return { Body: s3Body([body]), ETag: '"e1"' };
  });
  s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    results.set(input.Key ?? '', String(input.Body));
    return { ETag: '"e2"' };
  });
}

/** STS grants A and B a session with keys named after the account; C's trust refuses the central role. */
function fakeSts() {
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const account = input.RoleArn.split(':')[4]!;
    if (account === C) throw denied('sts:AssumeRole');
    return {
      Credentials: {
        AccessKeyId: `ASIA${account}`,
        SecretAccessKey: `secret-${account}`,
        SessionToken: `token-${account}`,
        Expiration: new Date(Date.now() + 3600_000),
      },
    };
  });
}

type Outcome = {
  account: string;
  ok: boolean;
  prefix: string;
  verdicts?: Record<string, number>;
  errors?: { source: string; message: string }[];
  unlocated?: string[];
  error?: { stage: string; code: string; message: string };
};
async function run(): Promise<{ members: Outcome[]; membersFailed: number; partialFailure: boolean }> {
  return (await analyzeOrganization({
    cfg,
    organization,
    clients: {
      s3: new S3Client({ region: REGION }),
      cwl: new CloudWatchLogsClient({ region: REGION }),
      sts: new STSClient({ region: REGION }),
    },
    sink: new SnsAlertSink(new SNSClient({ region: REGION }), cfg.alerts.topicArn!),
    engines: { athena: async () => Promise.reject(new Error('no Athena engine in this config')) },
    now,
    since,
    concurrency: 2,
  })) as never;
}

beforeEach(() => {
  s3.reset();
  sts.reset();
  sns.reset();
  ec2.reset();
  fakeEc2();
  fakeSts();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('the central analyze function over an organisation', () => {
  it('discovers each member on its own assumed credentials, in its Region', async () => {
    await fakeS3();
    await run();
    const assumed = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(assumed.map((i) => i.RoleArn).sort()).toEqual([role(A), role(B), role(C)]);
    for (const i of assumed) expect(i.ExternalId).toBe('pathguard-o-exampleorg1');
    // Every EC2 call, by the credentials and Region of the client that made it.
    const used = await Promise.all(
      ec2.calls().map(async (c) => {
        const client = c.thisValue as EC2Client;
        return `${(await client.config.credentials()).accessKeyId} ${await client.config.region()}`;
      }),
    );
    expect(new Set(used)).toEqual(new Set([`ASIA${A} ${REGION}`, `ASIA${B} ${REGION}`]));
    // Each member's discovery asked for its own vantage's subnet only.
    const lambdaEnis = ec2
      .calls()
      .map((c) => c.args[0].input as { Filters?: { Name: string; Values: string[] }[] })
      .flatMap((i) => i.Filters ?? [])
      .filter((f) => f.Name === 'subnet-id')
      .map((f) => f.Values.join(','));
    expect(new Set(lambdaEnis)).toEqual(new Set(['subnet-0runner000e1f2a3b', 'subnet-0mainonly0e1f2a3b']));
  }, 30_000);

  it('reports a member whose discovery role is denied and analyses the others', async () => {
    await fakeS3();
    const r = await run();
    const c = r.members.find((m) => m.account === C)!;
    expect(c).toMatchObject({
      ok: false,
      prefix: `members/${C}/${REGION}/`,
      error: { stage: 'assume-role', code: 'AccessDenied' },
    });
    expect(c.error!.message).toContain(`STS AssumeRole ${role(C)}`);
    expect(r.membersFailed).toBe(1);
    expect(r.partialFailure).toBe(true);
    expect(r.members.filter((m) => m.ok).map((m) => m.account)).toEqual([A, B]);
    // Nothing written for the denied member: it decides no verdict at all.
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys.filter((k) => k?.startsWith(`members/${C}/`))).toEqual([]);
    expect(keys.filter((k) => k?.startsWith(`members/${A}/`)).length).toBeGreaterThan(0);
  }, 30_000);

  it("decides each member's probes from its own archive folders and writes them under its prefix", async () => {
    await fakeS3();
    const r = await run();
    const a = r.members.find((m) => m.account === A)!;
    expect(a.errors).toEqual([]);
    expect(a.verdicts).toEqual({ private: 1, 'left-path': 1 });
    // Access logs are not read per member: reported, their probes stay without that evidence.
    expect(a.unlocated).toEqual(['accessLogs']);
    const flowListings = s3
      .commandCalls(ListObjectsV2Command)
      .map((c) => c.args[0].input)
      .filter((i) => i.Bucket === FLOW_ARCHIVE)
      .map((i) => i.Prefix);
    expect(new Set(flowListings)).toEqual(new Set([flowFolder(A), flowFolder(B)]));
    const trailListings = s3
      .commandCalls(ListObjectsV2Command)
      .map((c) => c.args[0].input)
      .filter((i) => i.Bucket === TRAIL_ARCHIVE)
      .map((i) => i.Prefix);
    for (const account of [A, B])
      expect(trailListings).toContain(`${ORG}/AWSLogs/${ORG}/${account}/CloudTrail/${REGION}/2026/11/25/`);
    expect(trailListings.every((p) => !p?.includes(C))).toBe(true);
    const written = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(written.length).toBeGreaterThan(0);
    for (const w of written) {
      expect(w.Bucket).toBe(RESULTS);
      expect(w.Key).toMatch(new RegExp(`^members/(${A}|${B})/${REGION}/`));
    }
    const bundles = written.map((w) => w.Key!).filter((k) => k.includes('/evidence/'));
    expect(bundles.filter((k) => k.startsWith(`members/${A}/${REGION}/evidence/`))).toHaveLength(2);
    expect(results.has(`members/${A}/${REGION}/environment/latest.json`)).toBe(true);
  }, 30_000);

  it('names the member account in every alert it sends', async () => {
    await fakeS3();
    await run();
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input as PublishCommandInput);
    const left = published.filter((p) => p.Subject?.includes('left-path'));
    expect(left).toHaveLength(1);
    expect(left[0]!.Subject).toMatch(new RegExp(`^\\[${A} ${REGION}\\] `));
    expect(left[0]!.MessageAttributes?.account).toEqual({ DataType: 'String', StringValue: A });
    const doc = JSON.parse(left[0]!.Message!) as { email: string; https: string };
    expect(doc.email.split('\n')[0]).toBe(`Account: ${A} (${REGION})`);
    expect(doc.email).toContain(`s3://${RESULTS}/members/${A}/${REGION}/reports/2026/11/25.html`);
    expect(JSON.parse(doc.https).metadata.additionalContext.account).toBe(A);
    for (const p of published) expect(p.Subject).toMatch(new RegExp(`^\\[(${A}|${B}) ${REGION}\\] `));
  }, 30_000);

  it('counts a refused archive prefix against its member only, whose probe is never private', async () => {
    await fakeS3({ deniedFlowPrefix: flowFolder(B) });
    const r = await run();
    const b = r.members.find((m) => m.account === B)!;
    expect(b.ok).toBe(true);
    expect(b.errors).toEqual([expect.objectContaining({ source: 'flow' })]);
    expect(b.errors![0]!.message).toContain('AccessDenied');
    expect(b.verdicts?.private).toBeUndefined();
    const a = r.members.find((m) => m.account === A)!;
    expect(a.errors).toEqual([]);
    expect(a.verdicts).toEqual({ private: 1, 'left-path': 1 });
    expect(r.partialFailure).toBe(true);
  }, 30_000);
});
