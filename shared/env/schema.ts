/**
 * Strict validation of the environment document (see `types.ts` for its meaning). Unknown keys are
 * errors (a misspelt key would otherwise silently drop a fact the classifier needs), addresses and
 * CIDR blocks are parsed with the same code the classifier uses, and ids that refer to one another
 * must resolve, so a typo cannot turn into a silent `unknown` verdict.
 */
import * as z from 'zod/mini';
import { ValidationError } from '../errors.js';
import { isCidr, parseCidr } from '../net/cidr-set.js';
import { isIpAddress } from '../net/ip.js';
import { fail, ok, type Result } from '../result.js';
import type { Environment } from './types.js';
import '../zod-locale.js';

/** AWS resource ids are `<prefix>-<alphanumerics>`; real ones are hex, hand-written ones often not. */
const id = (prefix: string) =>
  z
    .string()
    .check(
      z.regex(
        new RegExp(`^${prefix}-[0-9a-z]+$`),
        `expected a ${prefix}-… id (lower-case letters and digits)`,
      ),
    );

const cidr = z.string().check(
  z.superRefine((s, ctx) => {
    const c = parseCidr(s);
    if (typeof c === 'string') ctx.addIssue({ code: 'custom', message: `not a CIDR block: ${c}` });
  }),
);
const ip = z.string().check(z.refine(isIpAddress, 'not an IPv4 or IPv6 address'));
const ipOrCidr = z
  .string()
  .check(z.refine((s) => isIpAddress(s) || isCidr(s), 'not an IP address or CIDR block'));

const region = z
  .string()
  .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a Region code such as us-east-1'));
const serviceName = z
  .string()
  .check(z.regex(/^[a-z0-9]+(\.[a-z0-9-]+)+$/, 'expected a service name such as com.amazonaws.us-east-1.s3'));
const dnsName = z
  .string()
  .check(
    z.regex(
      /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\.?$/,
      'expected a DNS name, optionally starting with *. (e.g. *.vpce-0a1b2c3d.s3.us-east-1.vpce.amazonaws.com)',
    ),
  );

/** Route destinations: a CIDR block or a prefix list. */
const destination = z.string().check(
  z.superRefine((s, ctx) => {
    if (/^pl-[0-9a-z]+$/.test(s)) return;
    const c = parseCidr(s);
    if (typeof c === 'string') {
      ctx.addIssue({ code: 'custom', message: `expected a CIDR block or a pl-… prefix list id (${c})` });
    }
  }),
);

/**
 * Route targets. Besides the kinds the classifier reads (`local`, `vpce-`, `nat-`, `igw-`,
 * `eigw-`, `tgw-`, `vgw-`, `eni-`, `pcx-`), the EC2 API reports local and carrier gateways,
 * instances and Cloud WAN core networks; they are accepted so a discovered table validates, and
 * classify as `unknown`.
 */
const ROUTE_TARGET =
  /^(local|(vpce|nat|igw|eigw|tgw|vgw|eni|pcx|lgw|cagw|i)-[0-9a-z]+|arn:aws[a-z-]*:networkmanager::\d{12}:core-network\/core-network-[0-9a-z]+)$/;
const target = z
  .string()
  .check(
    z.regex(
      ROUTE_TARGET,
      'expected local or a target id: vpce-, nat-, igw-, eigw-, tgw-, vgw-, eni-, pcx-, …',
    ),
  );

const s3PrefixList = z.strictObject({
  prefixListId: id('pl'),
  name: serviceName,
  cidrs: z.array(cidr),
});
const prefixList = z.strictObject({
  prefixListId: id('pl'),
  name: z.string().check(z.minLength(1), z.maxLength(255)),
  cidrs: z.array(cidr),
});
const vpc = z.strictObject({ vpcId: id('vpc'), cidrs: z.array(cidr) });
const subnet = z.strictObject({
  subnetId: id('subnet'),
  vpcId: id('vpc'),
  cidrs: z.array(cidr),
  routeTableId: id('rtb'),
});
const route = z.strictObject({ destination, target });
const routeTable = z.strictObject({ routeTableId: id('rtb'), vpcId: id('vpc'), routes: z.array(route) });
const gatewayEndpoint = z.strictObject({
  vpcEndpointId: id('vpce'),
  vpcId: id('vpc'),
  serviceName,
  prefixListId: id('pl'),
  routeTableIds: z.array(id('rtb')),
  ipAddressType: z._default(z.enum(['ipv4', 'dualstack', 'ipv6']), 'ipv4'),
});
const interfaceEndpoint = z.strictObject({
  vpcEndpointId: id('vpce'),
  vpcId: id('vpc'),
  serviceName,
  ips: z.array(ip),
  dnsNames: z.array(dnsName),
  privateDns: z.enum(['off', 'on', 'inbound-only']),
});
const natGateway = z.strictObject({
  natGatewayId: id('nat'),
  subnetId: id('subnet'),
  eniIds: z.array(id('eni')),
  privateIps: z.array(ip),
  publicIps: z.array(ip),
});
const networkInterface = z.strictObject({
  eniId: id('eni'),
  subnetId: id('subnet'),
  privateIps: z.array(ip),
});
const onPrem = z.strictObject({
  cidrs: z.array(cidr),
  /** Corporate NAT addresses; a block is accepted for egress ranges. */
  publicEgressIps: z.array(ipOrCidr),
  dnsMode: z.enum(['public', 'inbound-resolver']),
});

const shape = z.strictObject({
  region,
  s3PrefixLists: z.array(s3PrefixList),
  prefixLists: z._default(z.array(prefixList), []),
  vpcs: z.array(vpc),
  subnets: z.array(subnet),
  routeTables: z.array(routeTable),
  gatewayEndpoints: z.array(gatewayEndpoint),
  interfaceEndpoints: z.array(interfaceEndpoint),
  natGateways: z.array(natGateway),
  networkInterfaces: z.array(networkInterface),
  onPrem,
});

/**
 * The environment schema: shape, value formats, then references between ids (checked once the
 * shape is valid). Its output type is exactly {@link Environment}.
 */
export const environmentSchema = shape.check(z.superRefine(checkReferences));

/** Ids unique in their list, and every id a resource names listed. */
function checkReferences(
  env: z.output<typeof shape>,
  ctx: z.core.$RefinementCtx<z.output<typeof shape>>,
): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const unique = <T>(list: readonly T[], key: (t: T) => string, name: string, field: string) => {
    const seen = new Map<string, number>();
    list.forEach((item, i) => {
      const k = key(item);
      const first = seen.get(k);
      if (first === undefined) seen.set(k, i);
      else issue([name, i, field], `duplicate ${field} ${k} (also ${name}[${first}])`);
    });
    return new Set(seen.keys());
  };
  unique(env.s3PrefixLists, (p) => p.prefixListId, 's3PrefixLists', 'prefixListId');
  unique(env.prefixLists, (p) => p.prefixListId, 'prefixLists', 'prefixListId');
  const s3Lists = new Set(env.s3PrefixLists.map((p) => p.prefixListId));
  env.prefixLists.forEach((p, i) => {
    if (s3Lists.has(p.prefixListId)) {
      issue(['prefixLists', i, 'prefixListId'], `${p.prefixListId} is also listed in s3PrefixLists`);
    }
  });
  const vpcs = unique(env.vpcs, (v) => v.vpcId, 'vpcs', 'vpcId');
  const subnets = unique(env.subnets, (s) => s.subnetId, 'subnets', 'subnetId');
  const tables = unique(env.routeTables, (t) => t.routeTableId, 'routeTables', 'routeTableId');
  unique(env.gatewayEndpoints, (e) => e.vpcEndpointId, 'gatewayEndpoints', 'vpcEndpointId');
  unique(env.interfaceEndpoints, (e) => e.vpcEndpointId, 'interfaceEndpoints', 'vpcEndpointId');
  unique(env.natGateways, (n) => n.natGatewayId, 'natGateways', 'natGatewayId');
  unique(env.networkInterfaces, (n) => n.eniId, 'networkInterfaces', 'eniId');
  const endpointIds = new Set(env.gatewayEndpoints.map((e) => e.vpcEndpointId));
  for (const e of env.interfaceEndpoints) {
    if (endpointIds.has(e.vpcEndpointId)) {
      const i = env.interfaceEndpoints.indexOf(e);
      issue(
        ['interfaceEndpoints', i, 'vpcEndpointId'],
        `${e.vpcEndpointId} is also listed as a gateway endpoint`,
      );
    }
  }
  const ref = (path: (string | number)[], value: string, known: ReadonlySet<string>, list: string) => {
    if (!known.has(value)) issue(path, `${value} is not in ${list}`);
  };
  env.subnets.forEach((s, i) => {
    ref(['subnets', i, 'vpcId'], s.vpcId, vpcs, 'vpcs');
    ref(['subnets', i, 'routeTableId'], s.routeTableId, tables, 'routeTables');
  });
  env.routeTables.forEach((t, i) => {
    ref(['routeTables', i, 'vpcId'], t.vpcId, vpcs, 'vpcs');
  });
  env.gatewayEndpoints.forEach((e, i) => {
    ref(['gatewayEndpoints', i, 'vpcId'], e.vpcId, vpcs, 'vpcs');
    e.routeTableIds.forEach((t, j) => {
      ref(['gatewayEndpoints', i, 'routeTableIds', j], t, tables, 'routeTables');
    });
  });
  env.interfaceEndpoints.forEach((e, i) => {
    ref(['interfaceEndpoints', i, 'vpcId'], e.vpcId, vpcs, 'vpcs');
  });
  env.natGateways.forEach((n, i) => {
    ref(['natGateways', i, 'subnetId'], n.subnetId, subnets, 'subnets');
  });
  env.networkInterfaces.forEach((n, i) => {
    ref(['networkInterfaces', i, 'subnetId'], n.subnetId, subnets, 'subnets');
  });
}

// The schema must produce exactly the contract type: these fail to compile if either drifts.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const schemaMatchesType: Equals<z.output<typeof environmentSchema>, Environment> = true;
void schemaMatchesType;

/** Formats a zod issue path as `routeTables[2].routes[0].target`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** Every key an environment object may have, for "did you mean" hints. */
const KNOWN_KEYS = [
  ...Object.keys(shape.shape),
  'prefixListId',
  'name',
  'cidrs',
  'vpcId',
  'subnetId',
  'routeTableId',
  'routes',
  'destination',
  'target',
  'vpcEndpointId',
  'serviceName',
  'routeTableIds',
  'ipAddressType',
  'prefixLists',
  'ips',
  'dnsNames',
  'privateDns',
  'natGatewayId',
  'eniIds',
  'privateIps',
  'publicIps',
  'eniId',
  'publicEgressIps',
  'dnsMode',
];

function suggest(key: string): string {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of KNOWN_KEYS) {
    const d = k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

function issuesOf(error: z.core.$ZodError): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys)
        out.push({ path: formatIssuePath([...i.path, k]), message: `unknown key${suggest(k)}` });
    } else if (i.code === 'invalid_type' && i.message.endsWith('received undefined')) {
      out.push({ path: formatIssuePath(i.path), message: `required (${i.expected})` });
    } else if (i.code === 'invalid_type') {
      out.push({ path: formatIssuePath(i.path), message: `expected ${i.expected}` });
    } else {
      out.push({ path: formatIssuePath(i.path), message: i.message });
    }
  }
  return out;
}

/**
 * Validates an environment document (already parsed from JSON). Never throws: every problem is
 * in the ValidationError's `issues`, each naming its path (`routeTables[2].routes[0].target`).
 *
 * @example
 * const r = validateEnvironment(JSON.parse(text));
 * if (!r.ok) throw r.error; // "environment: routeTables[2].routes[0].target: expected local or …"
 */
export function validateEnvironment(doc: unknown): Result<Environment, ValidationError> {
  const r = environmentSchema.safeParse(doc);
  if (r.success) return ok(r.data);
  return fail(new ValidationError('environment', issuesOf(r.error)));
}
