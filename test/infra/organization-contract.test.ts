// The central stack's MemberRunFailed alarm against the analyze function it deploys: the
// function run with the environment the synthesized stack gives it (AWS behind
// aws-sdk-client-mock), every member's discovery role refused, emits the metric the alarm
// watches, in its namespace, with its dimensions, once per failed member.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/config.js';
import { CentralStack } from '../../infra/stacks/central-stack.js';
import { addPathGuardStacks } from '../../infra/stacks/index.js';
import { fakeS3 } from '../unit/fake-s3.js';
import { invoke } from './handler-invoke.js';
import { functionsOf, list, ROOT } from './template-model.js';

const flags = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
const cfg = loadInfraConfig(join(ROOT, 'examples/organization.config.json'));
const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
addPathGuardStacks(app, cfg);
const central = app.node.children.find((c): c is Stack => c instanceof CentralStack)!;
const resources = Template.fromStack(central).toJSON().Resources as Parameters<typeof functionsOf>[0];

const s3 = fakeS3();
const sts = mockClient(STSClient);
const sns = mockClient(SNSClient);
afterAll(() => {
  s3.mock.restore();
  sts.restore();
  sns.restore();
});

describe('MemberRunFailed: the central alarm and the analyze function agree', () => {
  it('a run whose members all fail emits, per member, the metric the alarm watches', async () => {
    const alarms = Object.values(resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.MetricName === 'MemberRunFailed',
    );
    expect(alarms).toHaveLength(1);
    const p = alarms[0]!.Properties as { Namespace: string; Dimensions: { Name: string; Value: string }[] };
    const watched = {
      namespace: p.Namespace,
      name: 'MemberRunFailed',
      dimensions: Object.fromEntries(list(p.Dimensions).map((d) => [d.Name, d.Value])),
    };
    const analyze = functionsOf(resources).find((f) => f.kind === 'analyze')!;
    const members = analyze.env.PATHGUARD_MEMBER_ROLES!.split(',');
    expect(members.length).toBeGreaterThan(1);
    sts
      .on(AssumeRoleCommand)
      .rejects(
        Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' }),
      );
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const run = await invoke(
      'analyze',
      analyze.env,
      { action: 'analyze' },
      {},
      { AWS_REGION: central.region },
    );

    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ membersFailed: members.length });
    const emitted = run.metrics.filter((m) => m.name === 'MemberRunFailed');
    expect(emitted.length).toBeGreaterThan(0);
    for (const m of emitted) expect(m).toEqual(watched);
    // One count per failed member: the alarm's Sum over the run is the number of failed members.
    const counts = run.emf.flatMap((d) =>
      d.MemberRunFailed === undefined ? [] : [d.MemberRunFailed].flat(),
    );
    expect(counts.reduce((a: number, v) => a + Number(v), 0)).toBe(members.length);
  });
});
