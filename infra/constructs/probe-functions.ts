import {
  Duration,
  aws_ec2 as ec2,
  type aws_lambda_nodejs as nodejs,
  type aws_s3 as s3,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { allowKey, allowObjects, type FunctionDefaults, pathGuardFunction } from './pathguard-function.js';
import { StackSection } from './stack-section.js';

/** One subnet a VPC vantage may run in, as the deployment lists it. */
export interface VantageSubnet {
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly routeTableId: string;
}

/** Props of {@link ProbeFunctions}. */
export interface ProbeFunctionsProps {
  readonly defaults: FunctionDefaults;
  /** The VPC the vantage subnets belong to. */
  readonly vpcId: string;
  /** Every subnet a VPC vantage may name. */
  readonly subnets: readonly VantageSubnet[];
  /** One probe function per VPC vantage, in its subnet. @default none */
  readonly vpcVantages?: readonly { readonly id: string; readonly subnetId: string }[];
  /** Whether on-prem runners need orders (the orders function). @default false */
  readonly hasOnPremVantages?: boolean;
  readonly resultsBucket: s3.IBucket;
  /**
   * The prefix every key this section writes to or reads from the results bucket starts with
   * (PATHGUARD_RESULTS_PREFIX): a member account's own prefix of the central bucket. @default ''
   */
  readonly resultsPrefix?: string;
  /** The probe buckets both functions write probe objects to and presign. */
  readonly probeBuckets: readonly s3.IBucket[];
  /** Probe objects live under `<probePrefix>/probes/`. */
  readonly probePrefix: string;
}

/**
 * The functions that make probes: one per VPC vantage, attached to its subnet behind an
 * HTTPS-only security group, and the orders function that writes the on-prem runners' orders.
 */
export class ProbeFunctions extends StackSection {
  readonly probeFunctions: nodejs.NodejsFunction[] = [];
  /** Writes the on-prem runners' orders; absent when the config has no on-prem vantage. */
  readonly ordersFunction: nodejs.NodejsFunction | undefined;

  constructor(scope: Construct, id: string, props: ProbeFunctionsProps) {
    super(scope, id);
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: props.vpcId,
      availabilityZones: [...new Set(props.subnets.map((s) => s.availabilityZone))],
    });
    const subnetById = new Map(props.subnets.map((s) => [s.subnetId, s]));
    for (const vantage of props.vpcVantages ?? []) {
      const s = subnetById.get(vantage.subnetId);
      if (!s)
        throw new Error(
          `vantage ${vantage.id}: subnet ${vantage.subnetId} is not listed in deployment.network.subnets`,
        );
      this.probeFunctions.push(this.probeFunction(props, vpc, vantage.id, s));
    }
    // On-prem orders every interval, whatever the VPC vantages: one small function outside the
    // VPC, the only writer under orders/. It signs the runners' report PUTs (observations/).
    this.ordersFunction = props.hasOnPremVantages ? this.orders(props) : undefined;
  }

  private probeFunction(
    props: ProbeFunctionsProps,
    vpc: ec2.IVpc,
    vantageId: string,
    s: VantageSubnet,
  ): nodejs.NodejsFunction {
    const subnet = ec2.Subnet.fromSubnetAttributes(this, `Subnet-${vantageId}`, s);
    const sg = new ec2.SecurityGroup(this, `ProbeSg-${vantageId}`, {
      vpc,
      description: `PathGuard probe ${vantageId}: HTTPS egress only`,
      allowAllOutbound: false,
    });
    sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 and AWS APIs');
    const fn = pathGuardFunction(this, `Probe-${vantageId}`, 'probe', props.defaults, {
      vpc,
      vpcSubnets: { subnets: [subnet] },
      securityGroups: [sg],
      timeout: Duration.minutes(2),
      environment: {
        PATHGUARD_VANTAGE: vantageId,
        ...(props.resultsPrefix ? { PATHGUARD_RESULTS_PREFIX: props.resultsPrefix } : {}),
      },
    });
    const own = props.resultsPrefix ?? '';
    // No `orders/`: only the orders function writes a runner's order (a probe role that could
    // would redirect every runner).
    allowObjects(
      fn,
      props.resultsBucket,
      ['s3:GetObject', 's3:PutObject'],
      ['probes/', 'observations/', 'runs/'].map((p) => own + p),
    );
    allowObjects(fn, props.resultsBucket, ['s3:GetObject'], [`${own}environment/`]);
    for (const b of props.probeBuckets) {
      // GetObject too: the presigned URLs this role signs are only as good as its own permission.
      allowObjects(fn, b, ['s3:GetObject', 's3:PutObject'], [`${props.probePrefix}/probes/`]);
    }
    allowKey(fn, props.defaults.dataKey);
    return fn;
  }

  private orders(props: ProbeFunctionsProps): nodejs.NodejsFunction {
    const orders = pathGuardFunction(this, 'Orders', 'orders', props.defaults, {
      timeout: Duration.minutes(1),
    });
    allowObjects(orders, props.resultsBucket, ['s3:GetObject', 's3:PutObject'], ['probes/', 'runs/']);
    allowObjects(orders, props.resultsBucket, ['s3:PutObject'], ['orders/', 'observations/']);
    allowObjects(orders, props.resultsBucket, ['s3:GetObject'], ['environment/']);
    for (const b of props.probeBuckets) {
      allowObjects(orders, b, ['s3:GetObject', 's3:PutObject'], [`${props.probePrefix}/probes/`]);
    }
    allowKey(orders, props.defaults.dataKey);
    Validations.of(orders.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) supports no resource-level permissions.',
    });
    return orders;
  }
}
