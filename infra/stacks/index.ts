import type { App } from 'aws-cdk-lib';
import type { InfraConfig } from '../config.js';
import { CentralStack } from './central-stack.js';
import { MemberStack } from './member-stack.js';
import { PathGuardStack } from './pathguard-stack.js';

/**
 * The stacks one config asks for: a PathGuard stack for one account and Region, or, with an
 * `organization` section, a central stack and a member stack per account x Region.
 */
export function addPathGuardStacks(app: App, cfg: InfraConfig): void {
  const org = cfg.organization;
  if (org) {
    // One organisation, one PathGuard: a central stack and a member stack per account x Region.
    const name = cfg.deployment.stackName;
    const central = org.settings.central;
    const centralStack = new CentralStack(app, `${name}-Central`, {
      organization: org,
      monitoring: cfg.monitoring,
      configJson: cfg.configJson,
      deployment: cfg.deployment,
      env: { account: central.account, region: central.region },
      description: 'PathGuard central: results, analyzer, alerts and reports for the organisation',
    });
    for (const member of org.members) {
      const memberStack = new MemberStack(app, `${name}-Member-${member.account}-${member.region}`, {
        organization: org.settings,
        member,
        monitoring: cfg.monitoring,
        configJson: cfg.configJson,
        deployment: cfg.deployment,
        flowLogs: org.flowLogs,
        env: { account: member.account, region: member.region },
        description:
          'PathGuard member: probe functions, flow logs and the discovery role of one account and Region',
      });
      // Deployed after the central stack: its bucket, key and analyze role are what members name.
      memberStack.addDependency(centralStack);
    }
  } else {
    new PathGuardStack(app, cfg.deployment.stackName, {
      monitoring: cfg.monitoring,
      configJson: cfg.configJson,
      deployment: cfg.deployment,
      env: cfg.deployment.account
        ? { account: cfg.deployment.account, region: cfg.monitoring.region }
        : { region: cfg.monitoring.region },
      description: 'PathGuard: continuous proof that S3 traffic stays on the VPC-endpoint path',
    });
  }
}
