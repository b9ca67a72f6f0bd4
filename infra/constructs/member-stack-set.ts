import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, BootstraplessSynthesizer, aws_cloudformation as cfn, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import type { OrganizationSettings } from '../organization-config.js';
import { MemberBaselineStack } from '../stacks/member-baseline-stack.js';

/** Props of {@link MemberStackSet}. */
export interface MemberStackSetProps {
  readonly organization: OrganizationSettings;
  /** Where the StackSet deploys, with its auto-deployment settings. */
  readonly stackSet: NonNullable<OrganizationSettings['stackSet']>;
  /** Regions of the stack instances when the config names none. */
  readonly defaultRegions: readonly string[];
}

/**
 * The member baseline (discovery role) as a service-managed StackSet over the configured OUs:
 * auto-deployment gives every account that joins them the role. The template is synthesized here
 * from {@link MemberBaselineStack} (the same construct the member stacks use, cdk-nag checked) and
 * inlined as the template body: it has no asset, and no bootstrap rule (member accounts need not
 * be CDK-bootstrapped).
 */
export class MemberStackSet extends Construct {
  readonly stackSet: cfn.CfnStackSet;
  /** The member baseline template, as deployed by the StackSet. */
  readonly templateBody: string;

  constructor(scope: Construct, id: string, props: MemberStackSetProps) {
    super(scope, id);
    const { stackSet } = props;
    // Its own output directory: the CLI's (CDK_OUTDIR) would list the baseline as a stack to deploy.
    const outdir = mkdtempSync(join(tmpdir(), 'pathguard-baseline-'));
    const app = new App({
      outdir,
      analyticsReporting: false,
      context: { 'aws:cdk:enable-path-metadata': false },
    });
    const baseline = new MemberBaselineStack(app, 'PathGuardMemberBaseline', {
      organization: props.organization,
      synthesizer: new BootstraplessSynthesizer(),
      description: 'PathGuard member baseline: the read-only discovery role for the central analyzer',
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      this.templateBody = JSON.stringify(app.synth().getStackArtifact(baseline.artifactId).template);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    this.stackSet = new cfn.CfnStackSet(this, 'MemberBaseline', {
      stackSetName: 'PathGuardMemberBaseline',
      description: 'PathGuard member baseline: the read-only discovery role for the central analyzer',
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: {
        enabled: stackSet.autoDeployment,
        retainStacksOnAccountRemoval: stackSet.retainStacksOnAccountRemoval,
      },
      callAs: stackSet.callAs,
      // The discovery role has a fixed name (the central analyzer assumes it by name).
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        regionConcurrencyType: 'PARALLEL',
        maxConcurrentPercentage: 25,
        failureTolerancePercentage: 0,
      },
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...stackSet.organizationalUnitIds] },
          regions: [...(stackSet.regions ?? props.defaultRegions)],
        },
      ],
      templateBody: this.templateBody,
    });
  }
}
