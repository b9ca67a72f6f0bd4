import type { Environment, Route } from '../../shared/env/types.js';
import type { Scenario } from './scenario.js';

/** What EC2 discovery would return for the scenario: the environment the analyzer judges with. */
export function scenarioEnvironment(s: Scenario): Environment {
  const v = s.vpc;
  const natRoutes: Route[] = [
    { destination: s.vpc.cidr, target: 'local' },
    { destination: '0.0.0.0/0', target: 'igw-0e1e1e1e1e1e1e1e1' },
  ];
  return {
    region: s.region,
    prefixLists: [],
    s3PrefixLists: [
      { prefixListId: s.s3.prefixListId, name: `com.amazonaws.${s.region}.s3`, cidrs: s.s3.cidrs },
    ],
    vpcs: [{ vpcId: v.vpcId, cidrs: [v.cidr] }],
    subnets: [
      {
        subnetId: v.runnerSubnet.subnetId,
        vpcId: v.vpcId,
        cidrs: [v.runnerSubnet.cidr],
        routeTableId: v.runnerSubnet.routeTableId,
      },
      {
        subnetId: v.natGateway.subnetId,
        vpcId: v.vpcId,
        cidrs: [v.natGateway.subnetCidr],
        routeTableId: 'rtb-0d0d0d0d0d0d0d0d0',
      },
    ],
    routeTables: [
      { routeTableId: v.runnerSubnet.routeTableId, vpcId: v.vpcId, routes: v.runnerSubnet.routes },
      { routeTableId: 'rtb-0d0d0d0d0d0d0d0d0', vpcId: v.vpcId, routes: natRoutes },
    ],
    gatewayEndpoints: [
      {
        vpcEndpointId: v.gatewayEndpoint.vpcEndpointId,
        vpcId: v.vpcId,
        serviceName: `com.amazonaws.${s.region}.s3`,
        prefixListId: s.s3.prefixListId,
        routeTableIds: [v.runnerSubnet.routeTableId],
        ipAddressType: 'ipv4',
      },
    ],
    interfaceEndpoints: [
      {
        vpcEndpointId: v.interfaceEndpoint.vpcEndpointId,
        vpcId: v.vpcId,
        serviceName: `com.amazonaws.${s.region}.s3`,
        ips: [v.interfaceEndpoint.ip],
        dnsNames: [v.interfaceEndpoint.dnsName],
        privateDns: v.interfaceEndpoint.privateDns,
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
      { eniId: v.lambdaEni.eniId, subnetId: v.runnerSubnet.subnetId, privateIps: [v.lambdaEni.ip] },
      {
        eniId: v.interfaceEndpoint.eniId,
        subnetId: v.runnerSubnet.subnetId,
        privateIps: [v.interfaceEndpoint.ip],
      },
      { eniId: v.natGateway.eniId, subnetId: v.natGateway.subnetId, privateIps: [v.natGateway.privateIp] },
    ],
    onPrem: { cidrs: [s.onPrem.cidr], publicEgressIps: [s.onPrem.publicEgressIp], dnsMode: s.onPrem.dnsMode },
  };
}
