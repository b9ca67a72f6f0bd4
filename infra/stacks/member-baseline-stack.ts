import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DiscoveryRole } from '../constructs/discovery-role.js';
import {
  centralAnalyzeRoleName,
  discoveryRoleName,
  type OrganizationSettings,
} from '../organization-config.js';

/** Props of {@link MemberBaselineStack}. */
export interface MemberBaselineStackProps extends StackProps {
  readonly organization: OrganizationSettings;
}

/**
 * What every member account carries whatever its network: the discovery role, named for the
 * Region it is deployed in. This is the StackSet template: it has no asset and no parameter, so a
 * service-managed StackSet can deploy it to every account of an OU, new ones included.
 */
export class MemberBaselineStack extends Stack {
  constructor(scope: Construct, id: string, props: MemberBaselineStackProps) {
    super(scope, id, props);
    const org = props.organization;
    new DiscoveryRole(this, 'Discovery', {
      roleName: discoveryRoleName(org, Aws.REGION),
      centralAccount: org.central.account,
      centralRoleName: centralAnalyzeRoleName(org),
      organizationId: org.id,
      ...(org.discoveryRole.externalId ? { externalId: org.discoveryRole.externalId } : {}),
    });
  }
}
