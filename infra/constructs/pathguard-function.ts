import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Duration,
  aws_iam as iam,
  type aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
  type aws_s3 as s3,
  aws_sqs as sqs,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What every PathGuard function shares: code settings, log retention and the data key. */
export interface FunctionDefaults {
  /** Runtime, architecture, bundling, tracing and the common environment. */
  readonly common: Partial<nodejs.NodejsFunctionProps>;
  readonly logRetention: logs.RetentionDays;
  /** Encrypts each function's dead-letter queue. */
  readonly dataKey: kms.IKey;
}

/**
 * The settings every function shares: Node 22 on ARM, an ESM bundle with source maps, X-Ray,
 * the monitoring config as PATHGUARD_CONFIG.
 */
export function functionDefaults(
  configJson: string,
  logRetention: logs.RetentionDays,
  dataKey: kms.IKey,
): FunctionDefaults {
  const bundling: nodejs.BundlingOptions = {
    format: nodejs.OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: true,
    mainFields: ['module', 'main'],
    // The SDK is bundled (tree-shaken, half the CPU at cold start of loading the runtime's copy);
    // the runtime provides only EC2 and STS (analyze loads them on first use; STS only for an
    // organisation's members) and the credential providers a Lambda function never reaches.
    // scripts/build-targets.mjs bundles the same way (RUNTIME_SDK).
    externalModules: [
      '@aws-sdk/client-ec2',
      '@aws-sdk/client-sts',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-process',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/credential-provider-web-identity',
    ],
    // ESM bundles of CommonJS dependencies need require().
    banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
    forceDockerBundling: false,
  };
  const common = {
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    bundling,
    depsLockFilePath: path.join(root, 'package-lock.json'),
    projectRoot: root,
    tracing: lambda.Tracing.ACTIVE,
    environment: {
      PATHGUARD_CONFIG: configJson,
      POWERTOOLS_SERVICE_NAME: 'pathguard',
      POWERTOOLS_METRICS_NAMESPACE: 'PathGuard',
      NODE_OPTIONS: '--enable-source-maps',
    },
  } satisfies Partial<nodejs.NodejsFunctionProps>;
  return { common, logRetention, dataKey };
}

/**
 * The analyze function's worker thread (functions/lib/flow-worker.ts), built beside its
 * index.mjs in the same asset: the function starts it as `./flow-worker.mjs` when its memory buys
 * more than one vCPU (functions/lib/flow-threads.ts). Built with the release build's own options
 * (scripts/build-targets.mjs), locally like the function itself.
 */
const FLOW_WORKER_HOOKS: nodejs.ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (_inputDir, outputDir) => [
    `node "${path.join(root, 'scripts', 'build-flow-worker.mjs')}" "${path.join(outputDir, 'flow-worker.mjs')}"`,
  ],
};

const RUNTIME_PINNED =
  'nodejs22.x is pinned on purpose: the code is built and tested for Node 20/22; newer runtimes are adopted after validation.';

/**
 * One PathGuard handler (`functions/handlers/<handler>.ts`) with its own retained log group, a
 * role scoped to that group (no managed basic-execution policy), a dead-letter queue and no
 * retries; VPC-attached functions also get the ENI actions. A fixed `roleName` lets roles in other
 * accounts name this one in their trust policies.
 */
export function pathGuardFunction(
  scope: Construct,
  id: string,
  handler: 'probe' | 'orders' | 'analyze',
  defaults: FunctionDefaults,
  extra: Partial<nodejs.NodejsFunctionProps>,
  roleName?: string,
): nodejs.NodejsFunction {
  const { common, logRetention, dataKey } = defaults;
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const dlq = deadLetterQueue(scope, `${id}Dlq`, dataKey);
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `PathGuard ${id}`,
    ...(roleName ? { roleName } : {}),
  });
  // Written by hand instead of the AWS managed basic-execution policy: scoped to this log group.
  logGroup.grantWrite(role);
  if (extra.vpc) {
    // ENI management for a VPC-attached function; these EC2 actions support no resource scoping.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Lambda VPC ENI management actions support no resource-level permissions.',
    });
  }
  Validations.of(role).acknowledge({ id: 'AwsSolutions-L1', reason: RUNTIME_PINNED });
  const fn = new nodejs.NodejsFunction(scope, id, {
    ...common,
    ...extra,
    ...(handler === 'analyze' ? { bundling: { ...common.bundling, commandHooks: FLOW_WORKER_HOOKS } } : {}),
    entry: path.join(root, 'functions', 'handlers', `${handler}.ts`),
    handler: 'handler',
    role,
    logGroup,
    deadLetterQueue: dlq,
    retryAttempts: 0,
    memorySize: extra.memorySize ?? 512,
    environment: { ...common.environment, ...extra.environment },
  });
  Validations.of(fn).acknowledge({ id: 'AwsSolutions-L1', reason: RUNTIME_PINNED });
  return fn;
}

/** An encrypted, TLS-only dead-letter queue keeping failed events for 14 days. */
export function deadLetterQueue(scope: Construct, id: string, key: kms.IKey): sqs.Queue {
  const dlq = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(dlq).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself a dead-letter queue.',
  });
  return dlq;
}

/**
 * Object-level access under fixed prefixes, plus ListBucket limited to those prefixes. The keys
 * below each prefix are generated per run, so the object ARN ends in a wildcard: acknowledged
 * here, finding by finding, with that reason.
 */
export function allowObjects(
  fn: lambda.Function,
  bucket: s3.IBucket,
  actions: string[],
  prefixes: string[],
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions, resources: prefixes.map((p) => bucket.arnForObjects(`${p}*`)) }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
    }),
  );
  const cfn = bucket.node.defaultChild as s3.CfnBucket | undefined;
  const ref = cfn
    ? `<${Stack.of(fn).getLogicalId(cfn)}.Arn>`
    : `arn:<AWS::Partition>:s3:::${bucket.bucketName}`;
  for (const p of prefixes) {
    Validations.of(fn.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${ref}/${p}*]`,
      reason: `Objects under ${p} have per-run generated keys; access is limited to that prefix.`,
    });
  }
}

/** Encrypt, decrypt and data keys with the one data key (no GenerateDataKey* wildcard). */
export function allowKey(fn: lambda.Function, key: kms.IKey): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
    }),
  );
}
