// The facts of a vantage that correlation, verdicts and evidence bundles use (see correlate.ts).
import { type StyleCheck, urlStyleChecks } from '../endpoints/expected-path.js';
import { environmentIndexOf } from '../env/environment-index.js';
import { vpcRouteFacts } from '../env/s3-routes.js';
import type { Environment, PrivateDnsMode, Route } from '../env/types.js';
import { canonicalIpText } from '../net/ip.js';
import type { Vantage } from '../probes/types.js';

/**
 * What the environment says about one vantage: the facts correlation and verdicts use, kept in the
 * evidence bundle so an auditor sees what the probe was judged against.
 */
export interface VantageFacts {
  vantageId: string;
  kind: Vantage['kind'];
  /** Region of the environment (a gateway endpoint only serves its own Region). */
  environmentRegion: string;
  subnetId: string | null;
  vpcId: string | null;
  routeTableId: string | null;
  /** The S3 gateway endpoint whose prefix-list route is in the runner subnet's route table. */
  s3GatewayEndpointId: string | null;
  /** A CIDR route to something other than the endpoint that takes S3 addresses away from it. */
  moreSpecificRoute: Route | null;
  /** The runner subnet's default route (`0.0.0.0/0` or `::/0`), where S3 traffic goes without an endpoint route. */
  defaultRoute: Route | null;
  /**
   * Every subnet of the runner's VPC. A flow record that names a subnet outside it (or another
   * `vpc-id`) is not the runner's, whatever its addresses: VPCs may overlap (aws-facts §1.3).
   */
  vpcSubnetIds?: string[];
  /** The runner subnet's ENIs that can carry the runner's traffic (NAT and endpoint ENIs excluded). */
  runnerEniIds: string[];
  /** Their private IPs: the addresses the VPC sees for a VPC runner. */
  runnerIps: string[];
  /** S3 interface endpoints (regional, Multi-Region Access Points, directory buckets). */
  interfaceEndpoints: { vpcEndpointId: string; ips: string[]; privateDns: PrivateDnsMode }[];
  natGateways: { natGatewayId: string; subnetId: string; publicIps: string[] }[];
  onPrem: { cidrs: string[]; publicEgressIps: string[]; dnsMode: string } | null;
  /**
   * The URL styles a fix may suggest (regional name, interface-endpoint name), each with the path
   * it is expected to take from this vantage for a bucket in the environment's Region: a fix names
   * a style only when that path is private, else what must change in the network.
   */
  urlStyles: StyleCheck[];
}

const S3_INTERFACE_SERVICE = /(^|\.)s3(express)?$|s3-global\.accesspoint$/;

/**
 * The facts of `vantage` in `env`. Missing pieces are null or empty, never guessed.
 *
 * @example
 * const facts = vantageFacts(env, { id: 'vpc-app', kind: 'vpc', subnetId: 'subnet-0a1b2c3d' });
 * facts.runnerIps; // ['10.0.1.25', '10.0.1.77']
 */
export function vantageFacts(env: Environment, vantage: Vantage): VantageFacts {
  const idx = environmentIndexOf(env);
  const interfaceEndpoints = [...idx.interfaceEndpoints.values()]
    .filter((e) => S3_INTERFACE_SERVICE.test(e.serviceName ?? ''))
    .map((e) => ({
      vpcEndpointId: e.vpcEndpointId,
      ips: (e.ips ?? []).map(normalizeIp),
      privateDns: e.privateDns,
    }));
  const natGateways = (env.natGateways ?? []).map((n) => ({
    natGatewayId: n.natGatewayId,
    subnetId: n.subnetId,
    publicIps: (n.publicIps ?? []).map(normalizeIp),
  }));
  const base: VantageFacts = {
    vantageId: vantage.id,
    kind: vantage.kind,
    environmentRegion: env.region,
    subnetId: null,
    vpcId: null,
    routeTableId: null,
    s3GatewayEndpointId: null,
    moreSpecificRoute: null,
    defaultRoute: null,
    runnerEniIds: [],
    runnerIps: [],
    interfaceEndpoints,
    natGateways,
    onPrem: null,
    urlStyles: urlStyleChecks(idx, vantage),
  };
  if (vantage.kind === 'onprem') {
    const o = env.onPrem;
    return {
      ...base,
      onPrem: o
        ? {
            cidrs: [...(o.cidrs ?? [])],
            publicEgressIps: (o.publicEgressIps ?? []).map(normalizeIp),
            dnsMode: o.dnsMode,
          }
        : null,
    };
  }
  const subnetId = vantage.subnetId ?? null;
  const subnet = subnetId === null ? undefined : idx.subnets.get(subnetId);
  const routes = subnetId === null ? null : vpcRouteFacts(idx, subnetId);
  const runners = subnetId === null ? [] : idx.clientInterfacesOf(subnetId);
  return {
    ...base,
    subnetId,
    vpcId: subnet?.vpcId ?? null,
    routeTableId: subnet?.routeTableId ?? null,
    vpcSubnetIds: subnet
      ? [...idx.subnets.values()]
          .filter((s) => s.vpcId === subnet.vpcId)
          .map((s) => s.subnetId)
          .sort()
      : [],
    s3GatewayEndpointId: routes?.s3GatewayEndpointId ?? null,
    moreSpecificRoute: routes?.moreSpecificRoute ?? null,
    defaultRoute: routes?.defaultRoute ?? null,
    runnerEniIds: runners.map((n) => n.eniId).sort(),
    runnerIps: [...new Set(runners.flatMap((n) => n.privateIps.map(normalizeIp)))].sort(),
  };
}

/** One address in one spelling: IPv4-mapped IPv6 (`::ffff:10.0.0.1`, as Node reports sockets) as IPv4, IPv6 compressed. */
export function normalizeIp(ip: string): string {
  const s = String(ip).trim();
  return canonicalIpText(s) ?? s;
}
