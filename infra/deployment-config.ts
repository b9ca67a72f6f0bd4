import * as z from 'zod';

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet id (subnet-…)');
const vpcId = z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id (vpc-…)');
const routeTableId = z.string().regex(/^rtb-[0-9a-f]{8,17}$/, 'expected a route table id (rtb-…)');
const arn = z.string().regex(/^arn:aws[a-z-]*:/, 'expected an ARN');

/** A VPC and every subnet a VPC vantage (probe function) runs in, given so synth needs no lookup. */
export const networkSchema = z.strictObject({
  vpcId,
  /** Every subnet a VPC vantage (probe function) runs in. */
  subnets: z
    .array(
      z.strictObject({
        subnetId,
        availabilityZone: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'expected an AZ name'),
        routeTableId,
      }),
    )
    .min(1),
});

export type NetworkSettings = z.infer<typeof networkSchema>;

/**
 * Deployment settings: what the CDK app needs beyond the monitoring config. Everything the stack
 * would otherwise look up (VPC, subnets, route tables, AZs) is given here, so `cdk synth` works
 * offline with no credentials and no `fromLookup` context.
 */
export const deploymentSchema = z.strictObject({
  /** @default 'PathGuard' */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
    .default('PathGuard'),
  /** Explicit account; omit for an environment-agnostic stack. */
  account: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  /** The VPC and subnets of the vantages; required unless an `organization` section lists them per member. */
  network: networkSchema.optional(),
  /** Probe buckets this stack creates (names from `targets[].bucket`); others must already exist. */
  createProbeBuckets: z.array(z.string()).default([]),
  alerts: z
    .strictObject({
      emails: z.array(z.email()).default([]),
      slack: z.strictObject({ workspaceId: z.string().min(1), channelId: z.string().min(1) }).optional(),
    })
    .default({ emails: [] }),
  evidence: z
    .strictObject({
      /** Create VPC Flow Logs (1-minute aggregation, custom format) for the runner subnets. */
      createFlowLogs: z.boolean().default(true),
      /** Enable S3 server access logging on created probe buckets. */
      createAccessLogging: z.boolean().default(true),
      /** Create a CloudTrail trail with data events limited to the probe prefix. */
      createCloudTrail: z.boolean().default(false),
      /**
       * Create the Glue database(s) and tables the athena engines query (evidence.*.engine
       * 'athena'), with partition projection: the tables `pathguard athena ddl` prints.
       */
      createAthenaTables: z.boolean().default(false),
      /**
       * Also log VPC-endpoint network activity events for S3 on the created trail (opt-in, paid):
       * they record calls through the endpoints, denials included (aws-facts §3).
       */
      cloudTrailNetworkActivity: z.boolean().default(false),
      /** Existing flow-log group to read when not creating flow logs. */
      flowLogGroupName: z.string().optional(),
      /**
       * Existing bucket the runner subnets' flow logs are delivered to (text or Parquet), read
       * instead of a log group when not creating flow logs. The layout (Hive-compatible prefixes,
       * hourly partitions) is the flow log's own, which the analyzer reads from DescribeFlowLogs.
       */
      flowLogBucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected a bucket name')
        .optional(),
      /** The flow log's own key prefix in that bucket, before `AWSLogs/` (empty or ending in `/`). */
      flowLogPrefix: z
        .string()
        .regex(/^([A-Za-z0-9!_.()-]+\/)*$/, "expected a key prefix ending in '/' (or empty)")
        .default(''),
      /** The KMS key the flow-log bucket encrypts with (SSE-KMS): the analyzer may decrypt through S3. */
      flowLogKmsKeyArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'expected a KMS key ARN')
        .optional(),
      /**
       * Existing access-log bucket when the probe buckets already log; the prefix every probe
       * bucket logs under (one prefix: the analyzer lists it once from the window's start by the
       * time in the log objects' names).
       */
      accessLogBucket: z.string().optional(),
      accessLogPrefix: z.string().default('access-logs/'),
      /** Existing trail's bucket and key prefix (before `AWSLogs/`) when not creating the trail. */
      cloudTrailBucket: z.string().optional(),
      cloudTrailPrefix: z.string().default(''),
    })
    .default({
      createFlowLogs: true,
      createAccessLogging: true,
      createCloudTrail: false,
      createAthenaTables: false,
      cloudTrailNetworkActivity: false,
      flowLogPrefix: '',
      accessLogPrefix: 'access-logs/',
      cloudTrailPrefix: '',
    }),
  /** On-prem runner identities: each may read only its own order object. */
  onPremRunners: z
    .array(
      z.strictObject({
        runnerId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
        trust: z.union(
          [
            z.strictObject({ principalArn: arn }),
            z.strictObject({
              rolesAnywhere: z.strictObject({
                trustAnchorArn: arn,
                /**
                 * Subject CN of this runner's host certificate, required: without it the role
                 * trusts every certificate the trust anchor's CA issued (X.509 limits a CN to 64
                 * characters).
                 */
                certificateCommonName: z.string().min(1).max(64),
              }),
            }),
          ],
          {
            error:
              'expected { principalArn } or { rolesAnywhere: { trustAnchorArn, certificateCommonName } } (certificateCommonName: the subject CN of the host certificate, 1-64 characters)',
          },
        ),
      }),
    )
    .default([]),
  /** Log group retention for the functions and flow logs, days. @default 90 */
  logRetentionDays: z.number().int().positive().default(90),
});

export type DeploymentSettings = z.infer<typeof deploymentSchema>;
