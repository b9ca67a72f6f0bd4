import type { Environment } from '../../../shared/env/types.js';
import type { LabScenario } from './scenario.js';

/**
 * The environment document EC2 discovery would produce for the scenario's account and Region: the
 * facts the analyzer classifies the lab's logs with. The vantages' ENIs (a Lambda function's
 * Hyperplane ENI in its subnet) are listed with the interface endpoint's and the NAT gateway's.
 *
 * @example
 * const env = scenarioEnvironment(scenario);
 * validateEnvironment(env); // ok
 */
export function scenarioEnvironment(s: LabScenario): Environment {
  const v = s.vpc;
  const ie = v.interfaceEndpoint;
  const service = `com.amazonaws.${s.region}.s3`;
  return {
    region: s.region,
    prefixLists: [],
    s3PrefixLists: [{ prefixListId: s.s3.prefixListId, name: service, cidrs: [...s.s3.cidrs] }],
    vpcs: [{ vpcId: v.vpcId, cidrs: [v.cidr] }],
    subnets: v.subnets.map((x) => ({
      subnetId: x.subnetId,
      vpcId: v.vpcId,
      cidrs: [x.cidr],
      routeTableId: x.routeTableId,
    })),
    routeTables: v.routeTables.map((t) => ({
      routeTableId: t.routeTableId,
      vpcId: v.vpcId,
      routes: t.routes.map((r) => ({ destination: r.destination, target: r.target })),
    })),
    gatewayEndpoints: [
      {
        vpcEndpointId: v.gatewayEndpoint.vpcEndpointId,
        vpcId: v.vpcId,
        serviceName: service,
        prefixListId: s.s3.prefixListId,
        routeTableIds: [...v.gatewayEndpoint.routeTableIds],
        ipAddressType: 'ipv4',
      },
    ],
    interfaceEndpoints: [
      {
        vpcEndpointId: ie.vpcEndpointId,
        vpcId: v.vpcId,
        serviceName: service,
        ips: ie.networkInterfaces.map((n) => n.ip),
        dnsNames: [ie.dnsName],
        privateDns: ie.privateDns,
      },
    ],
    natGateways: [
      {
        natGatewayId: v.natGateway.natGatewayId,
        subnetId: v.natGateway.subnetId,
        eniIds: [v.natGateway.eniId],
        privateIps: [v.natGateway.privateIp],
        publicIps: [v.natGateway.publicIp],
      },
    ],
    networkInterfaces: [
      ...s.vantages.flatMap((x) =>
        x.kind === 'vpc' ? [{ eniId: x.eniId, subnetId: x.subnetId, privateIps: [x.ip] }] : [],
      ),
      ...ie.networkInterfaces.map((n) => ({ eniId: n.eniId, subnetId: n.subnetId, privateIps: [n.ip] })),
      { eniId: v.natGateway.eniId, subnetId: v.natGateway.subnetId, privateIps: [v.natGateway.privateIp] },
    ],
    onPrem: {
      cidrs: [s.onPrem.cidr],
      publicEgressIps: [s.onPrem.publicEgressIp],
      dnsMode: s.onPrem.dnsMode,
    },
  };
}
