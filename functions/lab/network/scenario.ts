import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatIssuePath } from '../../../shared/env/schema.js';
import { UserInputError } from '../../../shared/errors.js';
import { CidrSet, parseCidr } from '../../../shared/net/cidr-set.js';
import { addressScope, IpAddress } from '../../../shared/net/ip.js';

const id = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}-[0-9a-z]+$`), `expected a ${prefix}-… id (lower-case letters and digits)`);

const scratch = new IpAddress();
const ipv4 = z.string().refine((s) => scratch.parse(s) && scratch.family === 4, 'not an IPv4 address');
/** Addresses a log record may carry: never loopback, link-local or otherwise special. */
const recordAddress = ipv4.refine(
  (s) => scratch.parse(s) && addressScope(scratch) !== 'special',
  'a special-purpose address (loopback, link-local, multicast) cannot appear in AWS logs',
);
const cidr = z.string().refine((s) => typeof parseCidr(s) !== 'string', 'not a CIDR block');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a Region code such as us-east-1');
const routeTarget = z
  .string()
  .regex(
    /^(local|(vpce|nat|igw|vgw|tgw|pcx|eni)-[0-9a-z]+)$/,
    'expected local or a target id (vpce-, nat-, igw-, vgw-, …)',
  );

const route = z.strictObject({
  /** A CIDR block or a prefix-list id (`pl-…`). */
  destination: z.union([cidr, id('pl')]),
  target: routeTarget,
});

const vpcVantage = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  kind: z.literal('vpc'),
  subnetId: id('subnet'),
  /** The ENI the vantage's traffic leaves by (a Lambda function's Hyperplane ENI in its subnet). */
  eniId: id('eni'),
  ip: recordAddress,
  /** A public IPv4 address on the ENI, needed for the internet-gateway path. */
  publicIp: recordAddress.optional(),
  /** Set for an EC2 instance (its flow records carry it); Lambda ENIs show `-`. */
  instanceId: id('i').optional(),
});

const onPremVantage = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  kind: z.literal('onprem'),
  /** The host's address inside the on-prem network. */
  ip: recordAddress,
});

/**
 * A lab network: one VPC (subnets, route tables, an S3 gateway endpoint, an S3 interface endpoint,
 * a NAT gateway), an on-prem network, the public addresses S3 and the acceleration edge answer
 * on, and the vantages probes run from. Addresses are the ones log records will carry.
 */
export const labScenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string(),
    accountId: z.string().regex(/^\d{12}$/),
    region,
    s3: z.strictObject({
      /** The Region's AWS-managed prefix list `com.amazonaws.<region>.s3`. */
      prefixListId: id('pl'),
      cidrs: z.array(cidr).min(1),
      /** What regional names (`<bucket>.s3.<region>.amazonaws.com`) resolve to in public DNS. */
      regionalAddresses: z.array(recordAddress).min(1),
      /** What legacy global names (`<bucket>.s3.amazonaws.com`) resolve to. */
      globalAddresses: z.array(recordAddress).min(1),
    }),
    /** The edge (CloudFront) addresses Transfer Acceleration names resolve to. */
    edge: z.strictObject({
      addresses: z.array(recordAddress).min(1),
      /** The ip-ranges.json service flow logs name for these addresses. */
      awsService: z.string().min(1),
    }),
    vpc: z.strictObject({
      vpcId: id('vpc'),
      cidr,
      subnets: z
        .array(
          z.strictObject({ subnetId: id('subnet'), cidr, azId: z.string().min(1), routeTableId: id('rtb') }),
        )
        .min(1),
      routeTables: z.array(z.strictObject({ routeTableId: id('rtb'), routes: z.array(route) })).min(1),
      internetGatewayId: id('igw'),
      gatewayEndpoint: z.strictObject({
        vpcEndpointId: id('vpce'),
        routeTableIds: z.array(id('rtb')).min(1),
      }),
      interfaceEndpoint: z.strictObject({
        vpcEndpointId: id('vpce'),
        /** The endpoint-specific wildcard name, `*.vpce-….s3.<region>.vpce.amazonaws.com`. */
        dnsName: z.string().regex(/^\*\.vpce-[0-9a-z-]+\.s3\.[a-z0-9-]+\.vpce\.amazonaws\.com$/),
        privateDns: z.enum(['off', 'on', 'inbound-only']),
        networkInterfaces: z
          .array(z.strictObject({ eniId: id('eni'), subnetId: id('subnet'), ip: recordAddress }))
          .min(1),
      }),
      natGateway: z.strictObject({
        natGatewayId: id('nat'),
        subnetId: id('subnet'),
        eniId: id('eni'),
        privateIp: recordAddress,
        /** The Elastic IP S3 sees for traffic through the NAT gateway. */
        publicIp: recordAddress,
      }),
    }),
    onPrem: z.strictObject({
      cidr,
      /** The corporate NAT address S3 sees for on-prem traffic over the internet. */
      publicEgressIp: recordAddress,
      dnsMode: z.enum(['public', 'inbound-resolver']),
      /** Whether a Direct Connect private VIF (or VPN) reaches the VPC. */
      privateVif: z.boolean(),
    }),
    vantages: z.array(z.discriminatedUnion('kind', [vpcVantage, onPremVantage])).min(1),
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const subnets = new Map(s.vpc.subnets.map((x) => [x.subnetId, x]));
    const tables = new Set(s.vpc.routeTables.map((t) => t.routeTableId));
    const inBlock = (ip: string, block: string) => CidrSet.build([[block, true]]).set.get(ip) === true;
    s.vpc.subnets.forEach((x, i) => {
      if (!tables.has(x.routeTableId))
        issue(['vpc', 'subnets', i, 'routeTableId'], `no route table ${x.routeTableId}`);
      if (!inBlock(x.cidr.split('/')[0]!, s.vpc.cidr))
        issue(['vpc', 'subnets', i, 'cidr'], `outside ${s.vpc.cidr}`);
    });
    const inSubnet = (ip: string, subnetId: string, path: (string | number)[]) => {
      const sn = subnets.get(subnetId);
      if (!sn) issue(path, `no subnet ${subnetId}`);
      else if (!inBlock(ip, sn.cidr)) issue(path, `${ip} is outside ${subnetId} (${sn.cidr})`);
    };
    s.vpc.gatewayEndpoint.routeTableIds.forEach((t, i) => {
      if (!tables.has(t)) issue(['vpc', 'gatewayEndpoint', 'routeTableIds', i], `no route table ${t}`);
    });
    s.vpc.interfaceEndpoint.networkInterfaces.forEach((n, i) => {
      inSubnet(n.ip, n.subnetId, ['vpc', 'interfaceEndpoint', 'networkInterfaces', i]);
    });
    inSubnet(s.vpc.natGateway.privateIp, s.vpc.natGateway.subnetId, ['vpc', 'natGateway']);
    const ids = new Set<string>();
    s.vantages.forEach((v, i) => {
      if (ids.has(v.id)) issue(['vantages', i, 'id'], `duplicate vantage id ${v.id}`);
      ids.add(v.id);
      if (v.kind === 'vpc') inSubnet(v.ip, v.subnetId, ['vantages', i]);
      else if (!inBlock(v.ip, s.onPrem.cidr))
        issue(['vantages', i, 'ip'], `${v.ip} is outside ${s.onPrem.cidr}`);
    });
  });

/** A validated lab scenario. */
export type LabScenario = z.infer<typeof labScenarioSchema>;
/** One vantage of a scenario. */
export type LabScenarioVantage = LabScenario['vantages'][number];

/**
 * Validates a scenario document; the first problem is reported with its path.
 *
 * @example
 * const scenario = parseLabScenario(JSON.parse(text), 'default.json');
 */
export function parseLabScenario(doc: unknown, source = 'scenario'): LabScenario {
  const r = labScenarioSchema.safeParse(doc);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  throw new UserInputError(
    'SCENARIO_INVALID',
    `${source}: ${first ? `${formatIssuePath(first.path)}: ${first.message}` : 'invalid'}`,
  );
}

/** Reads and validates a scenario file. */
export async function loadLabScenario(file: string): Promise<LabScenario> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new UserInputError('SCENARIO_UNREADABLE', `${file}: ${(e as Error).message}`);
  }
  return parseLabScenario(doc, file);
}
