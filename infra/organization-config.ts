import * as z from 'zod';
import { memberNetworksText, memberRolesText } from '../functions/lib/organization-env.js';
import { bucketName } from '../shared/config/index.js';
import { networkSchema } from './deployment-config.js';

const account = z.string().regex(/^\d{12}$/, 'expected a 12-digit account id');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a Region code such as us-east-1');
/** Organizations ids as the Organizations API documents their patterns. */
const organizationId = z.string().regex(/^o-[a-z0-9]{10,32}$/, 'expected an organization id (o-…)');
const organizationalUnitId = z
  .string()
  .regex(
    /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/,
    'expected an organizational unit id (ou-…) or the root id (r-…)',
  );
const roleName = z
  .string()
  .regex(/^[A-Za-z0-9+=,.@_-]{1,48}$/, 'expected an IAM role name (at most 48 characters)');
const kmsKeyArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, 'expected a KMS key ARN');
const keyPrefix = z
  .string()
  .regex(/^$|^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/, "expected '' or a key prefix ending in '/'")
  .default('');

/** One bucket and prefix in the log-archive account, read for every member. */
const archiveLocation = z.strictObject({ bucket: bucketName, prefix: keyPrefix });

/**
 * Many accounts and Regions monitored from one place: a central stack (results, analyzer, alerts,
 * reports) in `central`, and a member stack per account x Region with its probe functions, the
 * flow logs PathGuard needs and a read-only discovery role the central analyzer assumes.
 */
export const organizationSchema = z
  .strictObject({
    /** The organization id; cross-account grants are conditioned on `aws:PrincipalOrgID`. */
    id: organizationId,
    /** Where the central stack runs: the management account or a delegated administrator. */
    central: z.strictObject({ account, region }),
    /** Every monitored account, with the VPC and subnets of its vantages in each Region. */
    members: z
      .array(
        z.strictObject({
          account,
          regions: z.array(z.strictObject({ region, network: networkSchema })).min(1),
        }),
      )
      .min(1),
    /** The read-only role each member carries for the central analyzer. */
    discoveryRole: z
      .strictObject({
        /** Its name (the Region is appended: IAM names are global to an account). @default 'PathGuardDiscovery' */
        roleName: roleName.default('PathGuardDiscovery'),
        /** Required in the analyzer's AssumeRole, on top of the organisation condition. @default none */
        externalId: z
          .string()
          .regex(/^[A-Za-z0-9+=,.@:/-]{2,1224}$/, 'expected 2-1224 characters [A-Za-z0-9+=,.@:/-]')
          .optional(),
      })
      .default({ roleName: 'PathGuardDiscovery' }),
    /**
     * The log-archive account (Control Tower layout): one location per evidence source, read for
     * all members. CloudTrail: `<prefix>AWSLogs/<org-id>/<account>/CloudTrail/…` (organisation
     * trail); flow logs: `<prefix>AWSLogs/<account>/vpcflowlogs/…` (the layout S3 delivery
     * writes; member stacks deliver there); access logs: `<prefix><account>/<region>/<bucket>/…`
     * (date-based partitioning, replicated to the archive).
     */
    logArchive: z
      .strictObject({
        account,
        /** The key the archive's buckets are encrypted with, when SSE-KMS. @default SSE-S3 */
        kmsKeyArn: kmsKeyArn.optional(),
        flowLogs: archiveLocation.optional(),
        accessLogs: archiveLocation.optional(),
        cloudTrail: archiveLocation.optional(),
      })
      .optional(),
    /**
     * Also deploy the member baseline (the discovery role) as a service-managed StackSet to these
     * OUs, so new accounts get it on joining. @default no StackSet
     */
    stackSet: z
      .strictObject({
        organizationalUnitIds: z.array(organizationalUnitId).min(1),
        /** Regions of the stack instances. @default every member Region */
        regions: z.array(region).min(1).optional(),
        autoDeployment: z.boolean().default(true),
        retainStacksOnAccountRemoval: z.boolean().default(false),
        /** `DELEGATED_ADMIN` when the central account is a delegated StackSets administrator. @default 'SELF' */
        callAs: z.enum(['SELF', 'DELEGATED_ADMIN']).default('SELF'),
      })
      .optional(),
  })
  .superRefine((o, ctx) => {
    const seen = new Set<string>();
    o.members.forEach((m, i) => {
      m.regions.forEach((r, j) => {
        const key = `${m.account}/${r.region}`;
        if (seen.has(key))
          ctx.addIssue({
            code: 'custom',
            path: ['members', i, 'regions', j, 'region'],
            message: `account ${m.account} lists Region ${r.region} twice`,
          });
        seen.add(key);
      });
    });
  });

export type OrganizationSettings = z.infer<typeof organizationSchema>;

/** One member account in one Region: what a member stack is built for. */
export interface MemberPlacement {
  readonly account: string;
  readonly region: string;
  readonly network: OrganizationSettings['members'][number]['regions'][number]['network'];
}

/** Every member account x Region of the organisation, in config order. */
export function memberPlacements(org: OrganizationSettings): MemberPlacement[] {
  return org.members.flatMap((m) =>
    m.regions.map((r) => ({ account: m.account, region: r.region, network: r.network })),
  );
}

/** The discovery role's name in one Region (IAM names are global to an account). */
export function discoveryRoleName(org: OrganizationSettings, region: string): string {
  return `${org.discoveryRole.roleName}-${region}`;
}

/** The central analyze function's role name: fixed, so member trust policies can name it. */
export function centralAnalyzeRoleName(org: OrganizationSettings): string {
  return `PathGuardCentralAnalyze-${org.central.region}`;
}

/** Where a member writes in the central results bucket (shared with the analyze function). */
export { memberResultsPrefix } from '../shared/probes/results-keys.js';

/** Lambda's limit on a function's environment: keys and values, all variables together. */
export const LAMBDA_ENVIRONMENT_MAX = 4096;
/**
 * The central analyze function's other variables (topic, flow-log format, account, Powertools,
 * NODE_OPTIONS): 650 bytes in the example's template, rounded up.
 */
const OTHER_CENTRAL_VARIABLES = 700;

/**
 * About how large the central analyze function's environment is: the config, the member lists
 * (about 200 bytes per member x Region) and the log archive, as the central stack writes them
 * (partition `aws`), plus the other variables. Lambda refuses a deployment over 4 KB.
 */
export function centralEnvironmentBytes(
  org: OrganizationSettings,
  members: readonly (MemberPlacement & { readonly vpcVantages: readonly { readonly id: string }[] })[],
  configJson: string,
): { total: number; members: number } {
  const listed = members.map((m) => ({
    account: m.account,
    region: m.region,
    roleArn: `arn:aws:iam::${m.account}:role/${discoveryRoleName(org, m.region)}`,
    vpcId: m.network.vpcId,
    vantageIds: m.vpcVantages.map((v) => v.id),
  }));
  const memberBytes =
    'PATHGUARD_MEMBER_ROLES'.length +
    memberRolesText(listed).length +
    'PATHGUARD_MEMBER_NETWORKS'.length +
    memberNetworksText(listed).length;
  const archive = org.logArchive
    ? 'PATHGUARD_LOG_ARCHIVE'.length + JSON.stringify({ organizationId: org.id, ...org.logArchive }).length
    : 0;
  const external = org.discoveryRole.externalId
    ? 'PATHGUARD_MEMBER_EXTERNAL_ID'.length + org.discoveryRole.externalId.length
    : 0;
  return {
    total:
      'PATHGUARD_CONFIG'.length +
      configJson.length +
      memberBytes +
      archive +
      external +
      OTHER_CENTRAL_VARIABLES,
    members: memberBytes,
  };
}
