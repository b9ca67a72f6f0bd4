import {
  CfnOutput,
  Duration,
  aws_iam as iam,
  type aws_kms as kms,
  Stack,
  type aws_s3 as s3,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentSettings } from '../deployment-config.js';
import { StackSection } from './stack-section.js';

/** Props of {@link RunnerIdentities}. */
export interface RunnerIdentitiesProps {
  /** The on-prem runners: each trusted principal or Roles Anywhere certificate. @default none */
  readonly runners?: DeploymentSettings['onPremRunners'];
  /** Holds each runner's order at `orders/<runnerId>/latest.json`. */
  readonly resultsBucket: s3.IBucket;
  /** The results bucket's key: decrypt only as S3 reading that bucket. */
  readonly dataKey: kms.IKey;
}

/**
 * One role per on-prem runner that reads its own order and nothing else, assumed by a named
 * principal or through IAM Roles Anywhere pinned to the runner's certificate; its ARN an output.
 */
export class RunnerIdentities extends StackSection {
  readonly roles: iam.Role[] = [];

  constructor(scope: Construct, id: string, props: RunnerIdentitiesProps) {
    super(scope, id);
    for (const runner of props.runners ?? []) this.roles.push(this.runnerRole(props, runner));
  }

  private runnerRole(
    props: RunnerIdentitiesProps,
    runner: DeploymentSettings['onPremRunners'][number],
  ): iam.Role {
    const stack = Stack.of(this);
    // Roles Anywhere: the trust anchor alone admits every certificate its CA ever issued, so
    // every statement that lets the service assume the role (AssumeRole, TagSession,
    // SetSourceIdentity) also pins this runner's certificate by its subject CN, the principal
    // tag Roles Anywhere maps from the certificate (a profile whose attribute mapping drops
    // the CN makes StringEquals false: it fails closed).
    const certificatePin =
      'rolesAnywhere' in runner.trust
        ? {
            ArnEquals: { 'aws:SourceArn': runner.trust.rolesAnywhere.trustAnchorArn },
            StringEquals: {
              'aws:PrincipalTag/x509Subject/CN': runner.trust.rolesAnywhere.certificateCommonName,
            },
          }
        : undefined;
    const principal: iam.IPrincipal =
      'principalArn' in runner.trust
        ? new iam.ArnPrincipal(runner.trust.principalArn)
        : new iam.ServicePrincipal('rolesanywhere.amazonaws.com', {
            conditions: certificatePin,
          }).withSessionTags();
    const role = new iam.Role(this, `Runner-${runner.runnerId}`, {
      assumedBy: principal,
      description: `PathGuard on-prem runner ${runner.runnerId}: reads its own order only`,
      maxSessionDuration: Duration.hours(1),
    });
    if (certificatePin) {
      role.assumeRolePolicy?.addStatements(
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          principals: [new iam.ServicePrincipal('rolesanywhere.amazonaws.com')],
          conditions: certificatePin,
        }),
      );
    }
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.resultsBucket.arnForObjects(`orders/${runner.runnerId}/latest.json`)],
      }),
    );
    // Decrypt only as S3 reading the results bucket: kms:ViaService keeps the key from being
    // used directly, and the encryption context is the bucket ARN because the bucket uses an
    // S3 Bucket Key (with a Bucket Key S3 passes the bucket ARN, not the object ARN, as
    // aws:s3:arn).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.dataKey.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}`,
            'kms:EncryptionContext:aws:s3:arn': props.resultsBucket.bucketArn,
          },
        },
      }),
    );
    new CfnOutput(this, `RunnerRoleArn-${runner.runnerId}`, { value: role.roleArn });
    return role;
  }
}
