import { readFile } from 'node:fs/promises';
import * as z from 'zod';
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
const cidr = z.string().refine((s) => {
  const c = parseCidr(s);
  return typeof c !== 'string' && !s.includes(':');
}, 'not an IPv4 CIDR block');
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a Region code such as us-east-1');
const routeTarget = z
  .string()
  .regex(
    /^(local|(vpce|nat|igw|vgw|tgw|pcx|eni|eigw)-[0-9a-z]+)$/,
    'expected local or a target id (vpce-, nat-, igw-, tgw-, pcx-, vgw-, …)',
  );

const route = z.strictObject({
  /** A CIDR block or a prefix-list id (`pl-…`: the S3 list or one of `prefixLists`). */
  destination: z.union([cidr, id('pl')]),
  target: routeTarget,
});

const vantageId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/);

const vpcVantage = z.strictObject({
  id: vantageId,
  kind: z.literal('vpc'),
  subnetId: id('subnet'),
  /** The ENI the vantage's traffic leaves by (a Lambda function's Hyperplane ENI in its subnet). */
  eniId: id('eni'),
  ip: recordAddress,
  /** A public IPv4 address on the ENI, needed for the internet-gateway path. */
  publicIp: recordAddress.optional(),
  /** Set for an EC2 instance (its flow records carry it); Lambda ENIs show `-`. */
  instanceId: id('i').optional(),
  /**
   * Whether the ENI is on a Nitro-based host: only then do flow logs write `traffic-path` 7
   * (gateway endpoint) and 8 (internet gateway); otherwise both are the ambiguous 2 (aws-facts
   * §1.4). @default true
   */
  nitro: z.boolean().default(true),
});

const onPremVantage = z.strictObject({
  id: vantageId,
  kind: z.literal('onprem'),
  /** The host's address inside the on-prem network. */
  ip: recordAddress,
});

const interfaceEndpoint = z.strictObject({
  vpcEndpointId: id('vpce'),
  /** The endpoint-specific wildcard name, `*.vpce-….s3.<region>.vpce.amazonaws.com`. */
  dnsName: z.string().regex(/^\*\.vpce-[0-9a-z-]+\.s3\.[a-z0-9-]+\.vpce\.amazonaws\.com$/),
  privateDns: z.enum(['off', 'on', 'inbound-only']),
  networkInterfaces: z
    .array(z.strictObject({ eniId: id('eni'), subnetId: id('subnet'), ip: recordAddress }))
    .min(1),
});

/**
 * An interface endpoint for `com.amazonaws.s3-global.accesspoint`, the one kind of VPC endpoint
 * that carries Multi-Region Access Point requests (aws-facts §4 H10, §5.3; S3 user guide
 * MultiRegionAccessPointsPrivateLink.md: "Other endpoint types cannot access Multi-Region Access
 * Points"). With private DNS (on by default) the VPC resolves every MRAP name to its ENIs.
 */
const globalAccessPointEndpoint = z.strictObject({
  vpcEndpointId: id('vpce'),
  privateDns: z.enum(['off', 'on']).default('on'),
  networkInterfaces: z
    .array(z.strictObject({ eniId: id('eni'), subnetId: id('subnet'), ip: recordAddress }))
    .min(1),
});

const natGateway = z.strictObject({
  natGatewayId: id('nat'),
  subnetId: id('subnet'),
  eniId: id('eni'),
  privateIp: recordAddress,
  /** The Elastic IP S3 sees for traffic through the NAT gateway. */
  publicIp: recordAddress,
});

/** A Gateway Load Balancer endpoint: a `vpce-…` route target whose ENI hands packets to appliances. */
const gwlbEndpoint = z.strictObject({
  vpcEndpointId: id('vpce'),
  subnetId: id('subnet'),
  eniId: id('eni'),
  ip: recordAddress,
});

/** A transit gateway VPC attachment: the ENI the TGW uses in one subnet of the VPC. */
const tgwAttachment = z.strictObject({
  transitGatewayId: id('tgw'),
  attachmentId: id('tgw-attach'),
  subnetId: id('subnet'),
  eniId: id('eni'),
  ip: recordAddress,
});

const vpc = z.strictObject({
  vpcId: id('vpc'),
  cidr,
  subnets: z
    .array(z.strictObject({ subnetId: id('subnet'), cidr, azId: z.string().min(1), routeTableId: id('rtb') }))
    .min(1),
  routeTables: z.array(z.strictObject({ routeTableId: id('rtb'), routes: z.array(route) })).min(1),
  internetGatewayId: id('igw').optional(),
  /** The VPC's S3 gateway endpoint and the route tables associated with it. */
  gatewayEndpoint: z
    .strictObject({ vpcEndpointId: id('vpce'), routeTableIds: z.array(id('rtb')) })
    .optional(),
  /** S3 interface endpoints (PrivateLink). */
  interfaceEndpoints: z.array(interfaceEndpoint).default([]),
  /** The Multi-Region Access Point interface endpoint, when the VPC has one. */
  globalAccessPointEndpoint: globalAccessPointEndpoint.optional(),
  natGateways: z.array(natGateway).default([]),
  gwlbEndpoints: z.array(gwlbEndpoint).default([]),
  transitGatewayAttachments: z.array(tgwAttachment).default([]),
});

/**
 * A lab network: VPCs (their CIDRs may overlap) with subnets, route tables, S3 gateway and
 * interface endpoints, NAT gateways, Gateway Load Balancer endpoints and transit gateway
 * attachments; transit gateways and peering connections between them; customer prefix lists; an
 * on-prem network; the public addresses S3 and the acceleration edge answer on; and the vantages
 * probes run from. Addresses are the ones log records will carry.
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
    /**
     * The Multi-Region Access Point the lab serves (`<alias>.accesspoint.s3-global.amazonaws.com`,
     * routed to the probe bucket) and the addresses its name has in public DNS: Global Accelerator
     * anycast addresses (S3 user guide MultiRegionAccessPoints.md: requests "use AWS Global
     * Accelerator"), outside every Regional S3 prefix list, so no gateway endpoint route ever
     * matches them (aws-facts §4 H10, §7 item 18).
     */
    mrap: z
      .strictObject({
        alias: z.string().regex(/^[a-z0-9]+\.mrap$/, 'expected an MRAP alias such as mfzwi23gnjvgw.mrap'),
        addresses: z.array(recordAddress).min(1),
        /** The ip-ranges.json service flow logs name for these addresses. */
        awsService: z.string().min(1),
      })
      .default({
        // The alias of the S3 user guide's examples (MultiRegionAccessPointRequests.md).
        alias: 'mfzwi23gnjvgw.mrap',
        addresses: ['75.2.60.5', '99.83.190.51'],
        awsService: 'GLOBALACCELERATOR',
      }),
    /** Customer-managed prefix lists (and other services' lists) that routes may name. */
    prefixLists: z
      .array(z.strictObject({ prefixListId: id('pl'), name: z.string().min(1), cidrs: z.array(cidr) }))
      .default([]),
    vpcs: z.array(vpc).min(1),
    /** Transit gateways: each route sends a block to the attachment of one VPC. */
    transitGateways: z
      .array(
        z.strictObject({
          transitGatewayId: id('tgw'),
          routes: z.array(z.strictObject({ destination: cidr, vpcId: id('vpc') })),
        }),
      )
      .default([]),
    peeringConnections: z
      .array(
        z.strictObject({
          peeringConnectionId: id('pcx'),
          vpcIds: z.tuple([id('vpc'), id('vpc')]),
          /** Inter-Region peering writes `traffic-path` 5 instead of 4 (aws-facts §1.4). @default false */
          interRegion: z.boolean().default(false),
        }),
      )
      .default([]),
    onPrem: z.strictObject({
      cidr,
      /** The corporate NAT address S3 sees for on-prem traffic over the internet. */
      publicEgressIp: recordAddress,
      dnsMode: z.enum(['public', 'inbound-resolver']),
      /** Whether a Direct Connect private VIF (or VPN) reaches the VPC `vpcId`. */
      privateVif: z.boolean(),
      /** The VPC of the private VIF and of the Route 53 inbound resolver. @default the first VPC */
      vpcId: id('vpc').optional(),
    }),
    vantages: z.array(z.discriminatedUnion('kind', [vpcVantage, onPremVantage])).min(1),
    /**
     * How the flow log is delivered to S3, as the flow log's `FileFormat` destination option:
     * `plain-text` (a header line, then records) or `parquet` (aws-facts §1.6, §10.3).
     * @default plain-text
     */
    flowLogFileFormat: z.enum(['plain-text', 'parquet']).default('plain-text'),
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const inBlock = (ip: string, block: string) => CidrSet.build([[block, true]]).set.get(ip) === true;
    s.mrap.addresses.forEach((a, i) => {
      if (s.s3.cidrs.some((b) => inBlock(a, b)))
        issue(['mrap', 'addresses', i], `${a} is in the S3 prefix list: MRAP names resolve outside it`);
    });
    const unique = new Set<string>();
    const once = (value: string, path: (string | number)[]) => {
      if (unique.has(value)) issue(path, `duplicate id ${value}`);
      unique.add(value);
    };
    const subnetVpc = new Map<string, { vpcId: string; cidr: string }>();
    const vpcIds = new Set(s.vpcs.map((v) => v.vpcId));
    const prefixLists = new Set([s.s3.prefixListId, ...s.prefixLists.map((p) => p.prefixListId)]);
    s.prefixLists.forEach((p, i) => {
      once(p.prefixListId, ['prefixLists', i, 'prefixListId']);
    });
    const tgwIds = new Set(s.transitGateways.map((t) => t.transitGatewayId));
    s.vpcs.forEach((v, vi) => {
      const at = (...rest: (string | number)[]) => ['vpcs', vi, ...rest];
      once(v.vpcId, at('vpcId'));
      const tables = new Set(v.routeTables.map((t) => t.routeTableId));
      v.subnets.forEach((x, i) => {
        once(x.subnetId, at('subnets', i, 'subnetId'));
        subnetVpc.set(x.subnetId, { vpcId: v.vpcId, cidr: x.cidr });
        if (!tables.has(x.routeTableId))
          issue(at('subnets', i, 'routeTableId'), `no route table ${x.routeTableId} in ${v.vpcId}`);
        if (!inBlock(x.cidr.split('/')[0]!, v.cidr)) issue(at('subnets', i, 'cidr'), `outside ${v.cidr}`);
      });
      const inSubnet = (ip: string, subnetId: string, path: (string | number)[]) => {
        const sn = v.subnets.find((x) => x.subnetId === subnetId);
        if (!sn) issue(path, `no subnet ${subnetId} in ${v.vpcId}`);
        else if (!inBlock(ip, sn.cidr)) issue(path, `${ip} is outside ${subnetId} (${sn.cidr})`);
      };
      // Every route target names something of this VPC (or a TGW/peering that reaches it), so a
      // route the lab cannot follow is refused here, naming the route, not at request time.
      const targets = new Set<string>([
        'local',
        ...(v.internetGatewayId ? [v.internetGatewayId] : []),
        ...(v.gatewayEndpoint ? [v.gatewayEndpoint.vpcEndpointId] : []),
        ...v.natGateways.map((n) => n.natGatewayId),
        ...v.gwlbEndpoints.map((g) => g.vpcEndpointId),
        ...v.transitGatewayAttachments.map((a) => a.transitGatewayId),
        ...s.peeringConnections.filter((p) => p.vpcIds.includes(v.vpcId)).map((p) => p.peeringConnectionId),
      ]);
      v.routeTables.forEach((t, ti) => {
        once(t.routeTableId, at('routeTables', ti, 'routeTableId'));
        t.routes.forEach((r, ri) => {
          const path = at('routeTables', ti, 'routes', ri);
          const text = `${t.routeTableId} ${r.destination} -> ${r.target}`;
          if (r.destination.startsWith('pl-') && !prefixLists.has(r.destination))
            issue(path, `${text}: prefix list ${r.destination} is neither the S3 list nor in prefixLists`);
          // A virtual private gateway leads on-prem: fine for on-prem blocks, but the lab has no
          // model of what on-prem does with other traffic (see simulate's refusal).
          if (r.target.startsWith('vgw-')) return;
          if (!targets.has(r.target))
            issue(
              path,
              `${text}: the lab cannot simulate this target (not a resource of ${v.vpcId} it models)`,
            );
        });
      });
      if (v.gatewayEndpoint) {
        v.gatewayEndpoint.routeTableIds.forEach((t, i) => {
          if (!tables.has(t)) issue(at('gatewayEndpoint', 'routeTableIds', i), `no route table ${t}`);
        });
      }
      v.interfaceEndpoints.forEach((e, ei) => {
        once(e.vpcEndpointId, at('interfaceEndpoints', ei, 'vpcEndpointId'));
        e.networkInterfaces.forEach((n, i) => {
          inSubnet(n.ip, n.subnetId, at('interfaceEndpoints', ei, 'networkInterfaces', i));
        });
      });
      const g = v.globalAccessPointEndpoint;
      if (g) {
        once(g.vpcEndpointId, at('globalAccessPointEndpoint', 'vpcEndpointId'));
        g.networkInterfaces.forEach((n, i) => {
          inSubnet(n.ip, n.subnetId, at('globalAccessPointEndpoint', 'networkInterfaces', i));
        });
      }
      v.natGateways.forEach((n, i) => {
        inSubnet(n.privateIp, n.subnetId, at('natGateways', i));
      });
      v.gwlbEndpoints.forEach((g, i) => {
        once(g.vpcEndpointId, at('gwlbEndpoints', i, 'vpcEndpointId'));
        inSubnet(g.ip, g.subnetId, at('gwlbEndpoints', i));
      });
      v.transitGatewayAttachments.forEach((a, i) => {
        inSubnet(a.ip, a.subnetId, at('transitGatewayAttachments', i));
        if (!tgwIds.has(a.transitGatewayId))
          issue(
            at('transitGatewayAttachments', i, 'transitGatewayId'),
            `no transit gateway ${a.transitGatewayId}`,
          );
      });
      if (
        v.gatewayEndpoint &&
        v.gwlbEndpoints.some((g) => g.vpcEndpointId === v.gatewayEndpoint?.vpcEndpointId)
      )
        issue(at('gwlbEndpoints'), `${v.gatewayEndpoint.vpcEndpointId} is also the gateway endpoint`);
    });
    s.transitGateways.forEach((t, ti) => {
      t.routes.forEach((r, ri) => {
        const attached = s.vpcs.some(
          (v) =>
            v.vpcId === r.vpcId &&
            v.transitGatewayAttachments.some((a) => a.transitGatewayId === t.transitGatewayId),
        );
        if (!attached)
          issue(
            ['transitGateways', ti, 'routes', ri],
            `${t.transitGatewayId} has no attachment in ${r.vpcId}`,
          );
      });
    });
    s.peeringConnections.forEach((p, i) => {
      p.vpcIds.forEach((v, j) => {
        if (!vpcIds.has(v)) issue(['peeringConnections', i, 'vpcIds', j], `no VPC ${v}`);
      });
    });
    if (s.onPrem.vpcId !== undefined && !vpcIds.has(s.onPrem.vpcId))
      issue(['onPrem', 'vpcId'], `no VPC ${s.onPrem.vpcId}`);
    const ids = new Set<string>();
    s.vantages.forEach((v, i) => {
      if (ids.has(v.id)) issue(['vantages', i, 'id'], `duplicate vantage id ${v.id}`);
      ids.add(v.id);
      if (v.kind === 'vpc') {
        const sn = subnetVpc.get(v.subnetId);
        if (!sn) issue(['vantages', i], `no subnet ${v.subnetId}`);
        else if (!inBlock(v.ip, sn.cidr))
          issue(['vantages', i], `${v.ip} is outside ${v.subnetId} (${sn.cidr})`);
      } else if (!inBlock(v.ip, s.onPrem.cidr))
        issue(['vantages', i, 'ip'], `${v.ip} is outside ${s.onPrem.cidr}`);
    });
  });

/** A validated lab scenario. */
export type LabScenario = z.infer<typeof labScenarioSchema>;
/** A scenario document before defaults are filled in (what a test or generator may write). */
export type LabScenarioInput = z.input<typeof labScenarioSchema>;
/** One VPC of a scenario. */
export type LabScenarioVpc = LabScenario['vpcs'][number];
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

/** Reads and validates a scenario file (an unreadable file exits 1, an invalid one 2). */
export async function loadLabScenario(file: string): Promise<LabScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserInputError('SCENARIO_UNREADABLE', `${file}: ${(e as Error).message}`, {}, 1);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserInputError('SCENARIO_INVALID', `${file}: not JSON: ${(e as Error).message}`);
  }
  return parseLabScenario(doc, file);
}
