import { Aws, Duration, aws_iam as iam, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DISCOVERY_ACTIONS } from './analyzer.js';

/** Props of {@link DiscoveryRole}. */
export interface DiscoveryRoleProps {
  /** The role's name in this account (the analyzer assumes it by name). */
  readonly roleName: string;
  /** The central account, where the analyze function runs. */
  readonly centralAccount: string;
  /** The central analyze function's role name: the only principal trusted. */
  readonly centralRoleName: string;
  /** The organization id both sides must belong to (aws:PrincipalOrgID). */
  readonly organizationId: string;
  /** Required in every AssumeRole, when set (sts:ExternalId). @default none */
  readonly externalId?: string;
}

/**
 * A member account's read-only discovery role: the EC2 Describe actions PathGuard's discovery
 * calls, nothing else, assumable only by the central analyze function's role, from inside the
 * organisation (and with the external id, when configured). The trust names the central account
 * with an `aws:PrincipalArn` condition rather than the role ARN as principal: IAM refuses a trust
 * policy naming a role that does not exist yet, and would silently rewrite it to a unique id
 * (trusting nobody) if that role were ever recreated.
 */
export class DiscoveryRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DiscoveryRoleProps) {
    super(scope, id);
    const centralRoleArn = `arn:${Aws.PARTITION}:iam::${props.centralAccount}:role/${props.centralRoleName}`;
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'PathGuard network discovery: read-only, for the central analyze function',
      assumedBy: new iam.AccountPrincipal(props.centralAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': centralRoleArn },
        StringEquals: {
          'aws:PrincipalOrgID': props.organizationId,
          ...(props.externalId ? { 'sts:ExternalId': props.externalId } : {}),
        },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'DiscoverNetwork', actions: DISCOVERY_ACTIONS, resources: ['*'] }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'EC2 Describe* actions support no resource-level permissions; only read-only discovery actions are listed.',
    });
  }
}
