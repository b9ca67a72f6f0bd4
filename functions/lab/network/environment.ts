import type { Environment } from '../../../shared/env/types.js';
import type { LabScenario } from './scenario.js';

/** The service of the interface endpoint that carries Multi-Region Access Point requests (aws-facts §5.3). */
export const GLOBAL_ACCESS_POINT_SERVICE = 'com.amazonaws.s3-global.accesspoint';

/**
 * The environment document EC2 discovery would produce for the scenario's account and Region: the
 * facts the analyzer classifies the lab's logs with, and the routes the lab itself follows (one
 * route resolution, `EnvironmentIndex`, for both). Every ENI discovery lists is here: the
 * vantages' (a Lambda function's Hyperplane ENI in its subnet), the interface endpoints', the NAT
 * gateways', the Gateway Load Balancer endpoints' and the transit gateway attachments'. GWLB
 * endpoints are route targets only: discovery does not list them as gateway endpoints, so the
 * classifier sees their `vpce-…` routes as `vpc-endpoint`, not `gateway-endpoint`.
 *
 * @example
 * const env = scenarioEnvironment(scenario);
 * validateEnvironment(env); // ok
 */
export function scenarioEnvironment(s: LabScenario): Environment {
  const service = `com.amazonaws.${s.region}.s3`;
  const vpcOfSubnet = new Map(s.vpcs.flatMap((v) => v.subnets.map((x) => [x.subnetId, v.vpcId] as const)));
  return {
    region: s.region,
    prefixLists: s.prefixLists.map((p) => ({
      prefixListId: p.prefixListId,
      name: p.name,
      cidrs: [...p.cidrs],
    })),
    s3PrefixLists: [{ prefixListId: s.s3.prefixListId, name: service, cidrs: [...s.s3.cidrs] }],
    vpcs: s.vpcs.map((v) => ({ vpcId: v.vpcId, cidrs: [v.cidr] })),
    subnets: s.vpcs.flatMap((v) =>
      v.subnets.map((x) => ({
        subnetId: x.subnetId,
        vpcId: v.vpcId,
        cidrs: [x.cidr],
        routeTableId: x.routeTableId,
      })),
    ),
    routeTables: s.vpcs.flatMap((v) =>
      v.routeTables.map((t) => ({
        routeTableId: t.routeTableId,
        vpcId: v.vpcId,
        routes: t.routes.map((r) => ({ destination: r.destination, target: r.target })),
      })),
    ),
    gatewayEndpoints: s.vpcs.flatMap((v) =>
      v.gatewayEndpoint
        ? [
            {
              vpcEndpointId: v.gatewayEndpoint.vpcEndpointId,
              vpcId: v.vpcId,
              serviceName: service,
              prefixListId: s.s3.prefixListId,
              routeTableIds: [...v.gatewayEndpoint.routeTableIds],
              ipAddressType: 'ipv4' as const,
            },
          ]
        : [],
    ),
    interfaceEndpoints: s.vpcs.flatMap((v) => [
      ...v.interfaceEndpoints.map((ie) => ({
        vpcEndpointId: ie.vpcEndpointId,
        vpcId: v.vpcId,
        serviceName: service,
        ips: ie.networkInterfaces.map((n) => n.ip),
        dnsNames: [ie.dnsName],
        privateDns: ie.privateDns,
      })),
      ...(v.globalAccessPointEndpoint
        ? [
            {
              vpcEndpointId: v.globalAccessPointEndpoint.vpcEndpointId,
              vpcId: v.vpcId,
              serviceName: GLOBAL_ACCESS_POINT_SERVICE,
              ips: v.globalAccessPointEndpoint.networkInterfaces.map((n) => n.ip),
              // The lab models no endpoint-specific names for it: probes use the MRAP name.
              dnsNames: [],
              privateDns: v.globalAccessPointEndpoint.privateDns,
            },
          ]
        : []),
    ]),
    natGateways: s.vpcs.flatMap((v) =>
      v.natGateways.map((n) => ({
        natGatewayId: n.natGatewayId,
        subnetId: n.subnetId,
        eniIds: [n.eniId],
        privateIps: [n.privateIp],
        publicIps: [n.publicIp],
      })),
    ),
    networkInterfaces: [
      ...s.vantages.flatMap((x) =>
        x.kind === 'vpc' && vpcOfSubnet.has(x.subnetId)
          ? [{ eniId: x.eniId, subnetId: x.subnetId, privateIps: [x.ip] }]
          : [],
      ),
      ...s.vpcs.flatMap((v) => [
        ...v.interfaceEndpoints.flatMap((ie) =>
          ie.networkInterfaces.map((n) => ({ eniId: n.eniId, subnetId: n.subnetId, privateIps: [n.ip] })),
        ),
        ...(v.globalAccessPointEndpoint?.networkInterfaces ?? []).map((n) => ({
          eniId: n.eniId,
          subnetId: n.subnetId,
          privateIps: [n.ip],
        })),
        ...v.natGateways.map((n) => ({ eniId: n.eniId, subnetId: n.subnetId, privateIps: [n.privateIp] })),
        ...v.gwlbEndpoints.map((g) => ({ eniId: g.eniId, subnetId: g.subnetId, privateIps: [g.ip] })),
        ...v.transitGatewayAttachments.map((a) => ({
          eniId: a.eniId,
          subnetId: a.subnetId,
          privateIps: [a.ip],
        })),
      ]),
    ],
    onPrem: {
      cidrs: [s.onPrem.cidr],
      publicEgressIps: [s.onPrem.publicEgressIp],
      dnsMode: s.onPrem.dnsMode,
    },
  };
}
