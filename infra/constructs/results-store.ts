import { Duration, aws_kms as kms, RemovalPolicy, aws_s3 as s3, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EvidencePlan } from '../evidence.js';
import { StackSection } from './stack-section.js';

/** Props of {@link ResultsStore}. */
export interface ResultsStoreProps {
  /** The results bucket's name (the config's `resultsBucket`). */
  readonly resultsBucketName: string;
  /** Days kept: run output (`probes/`, `observations/`, `runs/`) and evidence. */
  readonly retention: { readonly probesDays: number; readonly evidenceDays: number };
  /** The key prefix of probe objects in the probe buckets (`<probePrefix>/probes/`). */
  readonly probePrefix: string;
  /** Every monitored bucket; each is created here or imported by name. */
  readonly targetBuckets: readonly string[];
  /** Target buckets this stack creates. @default none: all are imported */
  readonly createProbeBuckets?: readonly string[];
  /**
   * Server access logging of the created probe buckets, under one prefix.
   * @default no logging configured here (done outside the stack)
   */
  readonly probeAccessLogPrefix?: string;
  /** Where access logs are read from (the evidence plan). @default none: no access logs */
  readonly accessLogs?: EvidencePlan['accessLogs'];
}

/**
 * Where PathGuard keeps what it writes and reads: the KMS data key, the versioned, encrypted
 * results bucket with a lifecycle per prefix, the server-access-log bucket, and the probe
 * buckets (created or imported).
 */
export class ResultsStore extends StackSection {
  /** Encrypts the results bucket, the alert topic and the queues. */
  readonly dataKey: kms.Key;
  readonly bucket: s3.Bucket;
  /** The server-access-log destination of the stack's buckets (SSE-S3, as logging requires). */
  readonly serverAccessLogs: s3.Bucket;
  /** Every target bucket by name. */
  readonly probeBuckets: ReadonlyMap<string, s3.IBucket>;
  /** The bucket the analyzer reads access logs from, when access logs are read. */
  readonly accessLogBucket: s3.IBucket | undefined;

  constructor(scope: Construct, id: string, props: ResultsStoreProps) {
    super(scope, id);
    const kept = props.retention;
    this.serverAccessLogs = new s3.Bucket(this, 'ServerAccessLogs', {
      // S3 server access logging can deliver only to SSE-S3 encrypted buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(kept.evidenceDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.serverAccessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the server-access-log destination itself; logging it to itself would loop.',
    });
    this.dataKey = new kms.Key(this, 'DataKey', {
      enableKeyRotation: true,
      description: 'PathGuard results bucket, alert topic and queues',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = this.resultsBucket(props);
    this.probeBuckets = this.targetBuckets(props);
    const accessLogs = props.accessLogs;
    this.accessLogBucket = !accessLogs
      ? undefined
      : accessLogs.source === 'existing'
        ? s3.Bucket.fromBucketName(this, 'ExistingAccessLogs', accessLogs.bucket)
        : this.serverAccessLogs;
  }

  private resultsBucket(props: ResultsStoreProps): s3.Bucket {
    const kept = props.retention;
    return new s3.Bucket(this, 'Results', {
      bucketName: props.resultsBucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.serverAccessLogs,
      serverAccessLogsPrefix: 'results/',
      // What runs write expires with the config's retention (retention.probesDays, longer than
      // any evidence deadline); evidence bundles after retention.evidenceDays. Without these
      // rules the bucket grows for ever and every listing with it.
      lifecycleRules: [
        {
          id: 'orders',
          prefix: 'orders/',
          expiration: Duration.days(Math.min(7, kept.probesDays)),
          noncurrentVersionExpiration: Duration.days(1),
        },
        ...(['probes/', 'observations/', 'runs/'] as const).map((prefix) => ({
          id: prefix.slice(0, -1),
          prefix,
          expiration: Duration.days(kept.probesDays),
          noncurrentVersionExpiration: Duration.days(1),
        })),
        {
          id: 'evidence',
          prefix: 'evidence/',
          expiration: Duration.days(kept.evidenceDays),
          noncurrentVersionExpiration: Duration.days(1),
        },
        // environment/snapshots/ never expires: one is written only when discovery finds a change,
        // and a past request is judged against the latest snapshot before it, however old.
        { id: 'noncurrent', noncurrentVersionExpiration: Duration.days(90) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private targetBuckets(props: ResultsStoreProps): Map<string, s3.IBucket> {
    const created = new Set(props.createProbeBuckets ?? []);
    const logPrefix = props.probeAccessLogPrefix;
    const buckets = new Map<string, s3.IBucket>();
    for (const name of props.targetBuckets) {
      if (!created.has(name)) {
        buckets.set(name, s3.Bucket.fromBucketName(this, `Existing-${name}`, name));
        continue;
      }
      const b = new s3.Bucket(this, `Probe-${name}`, {
        bucketName: name,
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        // Probe objects hold 64 random bytes and are worthless after the run that made them.
        lifecycleRules: [
          { id: 'probes', prefix: `${props.probePrefix}/probes/`, expiration: Duration.days(1) },
        ],
        // Every probe bucket logs under the one prefix the analyzer lists (records name their bucket).
        ...(logPrefix !== undefined
          ? { serverAccessLogsBucket: this.serverAccessLogs, serverAccessLogsPrefix: logPrefix }
          : {}),
        removalPolicy: RemovalPolicy.RETAIN,
      });
      if (logPrefix === undefined) {
        Validations.of(b).acknowledge({
          id: 'AwsSolutions-S1',
          reason: 'Access logging is configured outside this stack (evidence.createAccessLogging is false).',
        });
      }
      buckets.set(name, b);
    }
    return buckets;
  }
}
