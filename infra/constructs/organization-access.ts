import {
  Aws,
  CfnOutput,
  aws_iam as iam,
  type aws_kms as kms,
  type aws_lambda_nodejs as nodejs,
  Stack,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ORGANIZATION_ENV } from '../../functions/lib/organization-env.js';
import { memberResultsPrefix, type OrganizationSettings } from '../organization-config.js';
import { allowObjects } from './pathguard-function.js';
import { StackSection } from './stack-section.js';

/** Props of {@link OrganizationAccess}. */
export interface OrganizationAccessProps {
  readonly organization: OrganizationSettings;
  /** The central results bucket members write their own prefix of. */
  readonly resultsBucket: s3.Bucket;
  /** Its name (the config's `resultsBucket`). */
  readonly resultsBucketName: string;
  /** The key encrypting the results bucket. */
  readonly dataKey: kms.Key;
  /** The central analyze function: reads the log archive for every member. */
  readonly analyze: nodejs.NodejsFunction;
}

/** An IAM policy variable, written so no template literal can resolve it by mistake. */
const PRINCIPAL_ACCOUNT = '${aws:PrincipalAccount}';

/** The archive key prefixes of one source that hold one member account's logs. */
export function archivePrefixes(
  organization: OrganizationSettings,
  source: 'flowLogs' | 'accessLogs' | 'cloudTrail',
): string[] {
  const at = organization.logArchive?.[source];
  if (!at) return [];
  return organization.members.map(({ account }) => {
    if (source === 'cloudTrail') return `${at.prefix}AWSLogs/${organization.id}/${account}/CloudTrail/`;
    if (source === 'flowLogs') return `${at.prefix}AWSLogs/${account}/vpcflowlogs/`;
    return `${at.prefix}${account}/`;
  });
}

/**
 * The cross-account grants of the central stack: members write only their own prefix of the
 * results bucket (the account in the key, the organisation in the condition), the data key
 * serves them only through S3 for that bucket, and the analyzer reads the log archive only under
 * the member accounts' prefixes of each configured source.
 */
export class OrganizationAccess extends StackSection {
  constructor(scope: Construct, id: string, props: OrganizationAccessProps) {
    super(scope, id);
    const org = props.organization;
    const members = [...new Set(org.members.map((m) => m.account))];
    const fromMembers = new iam.OrganizationPrincipal(org.id);
    const memberCondition = { StringEquals: { 'aws:PrincipalAccount': members } };
    const own = memberResultsPrefix(PRINCIPAL_ACCOUNT);
    props.resultsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'MembersWriteTheirOwnPrefix',
        principals: [fromMembers],
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.resultsBucket.arnForObjects(`${own}*`)],
        conditions: memberCondition,
      }),
    );
    props.resultsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'MembersListTheirOwnPrefix',
        principals: [fromMembers],
        actions: ['s3:ListBucket'],
        resources: [props.resultsBucket.bucketArn],
        conditions: { ...memberCondition, StringLike: { 's3:prefix': [`${own}*`] } },
      }),
    );
    // With an S3 Bucket Key the encryption context is the bucket ARN (see RunnerIdentities); spelt
    // from the name, as a reference to the bucket would make key and bucket depend on each other.
    props.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'MembersUseTheKeyThroughS3ForResults',
        principals: [fromMembers],
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:CallerAccount': members,
            'kms:ViaService': `s3.${Stack.of(this).region}.${Aws.URL_SUFFIX}`,
            'kms:EncryptionContext:aws:s3:arn': `arn:${Aws.PARTITION}:s3:::${props.resultsBucketName}`,
          },
        },
      }),
    );
    this.readArchive(props);
  }

  /** GetObject and ListBucket under each member's prefix of each configured source. */
  private readArchive(props: OrganizationAccessProps): void {
    const org = props.organization;
    const archive = org.logArchive;
    if (!archive) return;
    const read: Record<string, { bucket: string; prefix: string }> = {};
    const statements: unknown[] = [];
    for (const source of ['flowLogs', 'accessLogs', 'cloudTrail'] as const) {
      const at = archive[source];
      if (!at) continue;
      read[source] = at;
      const prefixes = archivePrefixes(org, source);
      const bucket = s3.Bucket.fromBucketName(this, `Archive-${source}`, at.bucket);
      allowObjects(props.analyze, bucket, ['s3:GetObject'], prefixes);
      statements.push({
        Effect: 'Allow',
        Principal: { AWS: props.analyze.role!.roleArn },
        Action: 's3:GetObject',
        Resource: prefixes.map((p) => `arn:${Aws.PARTITION}:s3:::${at.bucket}/${p}*`),
      });
    }
    if (archive.kmsKeyArn) {
      props.analyze.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DecryptLogArchiveThroughS3',
          actions: ['kms:Decrypt'],
          resources: [archive.kmsKeyArn],
          // The archive's Region is not configured: any Region's S3, never the key directly.
          conditions: { StringLike: { 'kms:ViaService': `s3.*.${Aws.URL_SUFFIX}` } },
        }),
      );
    }
    props.analyze.addEnvironment(
      ORGANIZATION_ENV.logArchive,
      JSON.stringify({ organizationId: org.id, ...read }),
    );
    // The archive account must allow the same reads on its side: printed for its administrator.
    new CfnOutput(this, 'LogArchiveReadStatements', {
      description: `Statements to add to the log-archive bucket policies (account ${archive.account})`,
      value: Stack.of(this).toJsonString(statements),
    });
  }
}
